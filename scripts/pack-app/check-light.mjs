// Run with `node --import ./record-imports.mjs check-light.mjs`: the in-process entry points of the
// installed packages must load no gRPC, protobuf, OTel SDK or Langfuse.
import { readFileSync } from "node:fs"
import { heavyIn } from "./heavy-packages.mjs"

await import("@aixfx/core/LocalRuntime")
await import("@aixfx/patterns")
const urls = readFileSync(process.env["AIXFX_RECORD_IMPORTS"], "utf8").split("\n").filter(Boolean)
const heavy = heavyIn(urls)
if (heavy.length > 0) {
  console.error(`check-light: @aixfx/core/LocalRuntime + @aixfx/patterns loaded ${heavy.join(", ")}`)
  process.exit(1)
}
console.log(`check-light ok: ${urls.length} modules, none of them gRPC, protobuf, OTel SDK or Langfuse`)
