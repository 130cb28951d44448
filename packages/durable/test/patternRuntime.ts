/**
 * The pattern tests' runtime with the durable layer provided (`pnpm test:durable` swaps
 * packages/patterns/test/runtime.ts for this module): each test's body runs as a durable run, over
 * its own SQLite file, so every agent call the patterns make is journaled.
 */
import { type AgentRuntime, LocalRuntime, Workflow } from "@aixfx/core"
import { Durable } from "@aixfx/durable"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "aixfx-durable-pattern-tests-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let runs = 0

export const withRuntime = <A, E>(effect: Effect.Effect<A, E, AgentRuntime.AgentRuntime>) =>
  Effect.suspend(() => {
    const n = runs++
    const durable = Durable.layerSqlite({ filename: join(dir, `run-${n}.db`) }).pipe(Layer.provide(LocalRuntime.layer()), Layer.orDie)
    return Workflow.run("pattern-test", { runId: `pattern-test-${n}` })(effect).pipe(
      Effect.provide(durable),
      Logger.withMinimumLogLevel(LogLevel.Warning)
    )
  })
