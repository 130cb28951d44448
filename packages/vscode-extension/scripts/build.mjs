// Bundles the extension (CommonJS, `vscode` external, protobufjs and the price table inside) and the
// timeline webview script. `--production` (packaging) minifies and writes no source maps.
import { build } from "esbuild"
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const production = process.argv.includes("--production")
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true })
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: "warning", absWorkingDir: root }

await Promise.all([
  build({ ...common, entryPoints: ["src/vscode/extension.ts"], outfile: "dist/extension.cjs", platform: "node", format: "cjs", target: "node20", external: ["vscode"] }),
  build({ ...common, entryPoints: ["src/webview/timeline.ts"], outfile: "dist/timeline.js", platform: "browser", format: "iife", target: "es2022" })
])
