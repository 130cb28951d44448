/**
 * The AgentRuntime contract with the durable layer provided, every test's body inside a durable
 * run (so each call is journaled in a real SQLite file).
 */
import { LocalRuntime, Workflow } from "@aixfx/core"
import { Durable } from "@aixfx/durable"
import { Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { runtimeSuite } from "../../core/test/runtimeSuite.js"

const dir = mkdtempSync(join(tmpdir(), "aixfx-durable-contract-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let stores = 0

runtimeSuite(
  "durable layer over LocalRuntime, inside durable runs",
  (options) =>
    Durable.layerSqlite({ filename: join(dir, `store-${stores++}.db`) }).pipe(Layer.provide(LocalRuntime.layer(options)), Layer.orDie),
  (effect) => Workflow.run("contract", { runId: `contract-${stores}` })(effect)
)
