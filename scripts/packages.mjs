/**
 * The shape every publishable package (packages/*, not "private") follows, as the @effect/* packages
 * ship: Effect as a peer, a build before pack, one entry point per public module. See docs/packaging.md.
 *
 *   node scripts/packages.mjs check          exits 1 listing every package that strays
 *   node scripts/packages.mjs fix [dir...]   rewrites package.json / tsconfig.src.json and copies LICENSE
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const BUILD = "tsc -b tsconfig.src.json"

const entry = (from, types, js) => ({ "@aixfx/source": from, types, default: js })

/** `@aixfx/x` (the index), `@aixfx/x/Module` for every public module, never `src/internal`. */
export const EXPORTS = {
  "./package.json": "./package.json",
  ".": entry("./src/index.ts", "./dist/index.d.ts", "./dist/index.js"),
  "./*": entry("./src/*.ts", "./dist/*.d.ts", "./dist/*.js"),
  "./internal/*": null
}

/** Packages that must exist once per application: peers, pinned exactly for our own build. */
export const isPeer = (name) => name === "effect" || name.startsWith("@effect/")

/** The conventional manifest for `manifest` (a package.json object); leaves other fields as they are. */
export const conventional = (manifest) => {
  const dependencies = { ...manifest.dependencies }
  const peerDependencies = { ...manifest.peerDependencies }
  const devDependencies = { ...manifest.devDependencies }
  for (const [name, version] of Object.entries(dependencies)) {
    if (!isPeer(name)) continue
    delete dependencies[name]
    devDependencies[name] = version
  }
  for (const [name, version] of Object.entries(devDependencies)) {
    if (isPeer(name)) peerDependencies[name] = `^${version.replace(/^[\^~]/, "")}`
  }
  const files = [...new Set(["dist", "src", ...(manifest.files ?? []), "!dist/.tsbuildinfo"])]
  const sorted = (record) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))
  const { dependencies: _d, peerDependencies: _p, devDependencies: _v, ...rest } = manifest
  return {
    ...rest,
    exports: EXPORTS,
    main: "./dist/index.js",
    types: "./dist/index.d.ts",
    files,
    publishConfig: { access: "public", ...manifest.publishConfig },
    scripts: { ...manifest.scripts, build: BUILD, prepack: BUILD },
    ...(Object.keys(dependencies).length > 0 ? { dependencies: sorted(dependencies) } : {}),
    peerDependencies: sorted(peerDependencies),
    devDependencies: sorted(devDependencies)
  }
}

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"))
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)

export const publishablePackages = () =>
  readdirSync(join(root, "packages"))
    .map((name) => join(root, "packages", name))
    .filter((dir) => existsSync(join(dir, "package.json")) && readJson(join(dir, "package.json")).private !== true)

const TSBUILDINFO = "dist/.tsbuildinfo"

/** What is wrong with the package in `dir`, as sentences (empty when it follows the convention). */
export const problems = (dir) => {
  const name = relative(root, dir)
  const manifest = readJson(join(dir, "package.json"))
  const found = []
  if (JSON.stringify(manifest) !== JSON.stringify(conventional(manifest))) {
    found.push(`${name}/package.json differs from the convention (run: node scripts/packages.mjs fix ${name})`)
  }
  for (const [field, deps] of [["dependencies", manifest.dependencies], ["peerDependencies", manifest.peerDependencies]]) {
    for (const [dep, version] of Object.entries(deps ?? {})) {
      if (field === "dependencies" && isPeer(dep)) found.push(`${name}: ${dep} must be a peerDependency (Effect is installed once per app)`)
      if (!dep.startsWith("@aixfx/") && field === "dependencies" && !/^\d/.test(version)) found.push(`${name}: ${dep}@${version} is not pinned exactly`)
    }
  }
  const tsconfig = join(dir, "tsconfig.src.json")
  if (!existsSync(tsconfig) || readJson(tsconfig).compilerOptions?.tsBuildInfoFile !== TSBUILDINFO) {
    found.push(`${name}/tsconfig.src.json: compilerOptions.tsBuildInfoFile must be "${TSBUILDINFO}" (so a deleted dist is rebuilt before pack)`)
  }
  for (const file of ["README.md", "LICENSE", "src/index.ts"]) {
    if (!existsSync(join(dir, file))) found.push(`${name}/${file} is missing`)
  }
  return found
}

const fix = (dir) => {
  const manifestFile = join(dir, "package.json")
  writeJson(manifestFile, conventional(readJson(manifestFile)))
  const tsconfigFile = join(dir, "tsconfig.src.json")
  if (existsSync(tsconfigFile)) {
    const tsconfig = readJson(tsconfigFile)
    writeJson(tsconfigFile, { ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, tsBuildInfoFile: TSBUILDINFO } })
  }
  if (!existsSync(join(dir, "LICENSE"))) copyFileSync(join(root, "LICENSE"), join(dir, "LICENSE"))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...dirs] = process.argv.slice(2)
  const targets = dirs.length > 0 ? dirs.map((dir) => join(process.cwd(), dir)) : publishablePackages()
  if (command === "fix") {
    for (const dir of targets) fix(dir)
    console.log(`fixed ${targets.map((dir) => relative(root, dir)).join(", ")}; run pnpm install, then check`)
  } else if (command === "check") {
    const found = targets.flatMap(problems)
    for (const problem of found) console.error(problem)
    if (found.length > 0) process.exit(1)
    console.log(`${targets.length} packages follow the packaging convention`)
  } else {
    console.error("usage: node scripts/packages.mjs check | fix [dir...]")
    process.exit(2)
  }
}
