// Packages dist/ and media/ into build/aixfx-vscode.vsix (build with --production first: no source
// maps; .vscodeignore keeps anything else out). vsce needs an unscoped extension name and
// no workspace-only fields, so it runs on a staging copy whose package.json is trimmed to what
// VS Code reads; everything is bundled, hence --no-dependencies.
import { execFileSync } from "node:child_process"
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const stage = join(root, "build", "vsix-stage")
const out = join(root, "build", "aixfx-vscode.vsix")

const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
for (const field of ["private", "type", "scripts", "dependencies", "devDependencies"]) delete manifest[field]

rmSync(stage, { recursive: true, force: true })
mkdirSync(stage, { recursive: true })
for (const entry of ["dist", "media", "LICENSE", "README.md", ".vscodeignore"]) cpSync(join(root, entry), join(stage, entry), { recursive: true })
// No "type": the bundle is CommonJS (.cjs) either way, and VS Code loads a plain main most simply.
writeFileSync(join(stage, "package.json"), `${JSON.stringify({ ...manifest, name: "aixfx-vscode" }, null, 2)}\n`)
execFileSync(join(root, "node_modules", ".bin", "vsce"), ["package", "--no-dependencies", "--out", out], { cwd: stage, stdio: "inherit" })
console.log(out)
