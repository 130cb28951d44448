// Bundles the extension (CommonJS, `vscode` external, protobufjs inside) and the timeline webview script.
import { build } from "esbuild"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const common = { bundle: true, sourcemap: true, logLevel: "warning", absWorkingDir: root }

await Promise.all([
  build({ ...common, entryPoints: ["src/vscode/extension.ts"], outfile: "dist/extension.cjs", platform: "node", format: "cjs", target: "node20", external: ["vscode"] }),
  build({ ...common, entryPoints: ["src/webview/timeline.ts"], outfile: "dist/timeline.js", platform: "browser", format: "iife", target: "es2022" })
])
