/**
 * Crash and resume with real processes: a nested Hierarchical → Reflection run is killed with
 * SIGKILL while a step is in flight, and a second process over the same SQLite file finishes it.
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { fixture, lastJson, lines, run, start, waitForLine } from "../processes.js"

const dir = mkdtempSync(join(tmpdir(), "aixfx-durable-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const script = fixture("nestedRun.ts")
const modelCalls = (counter: string) => lines(counter).filter((l) => l.startsWith("model ")).map((l) => l.slice(6))
const allSteps = ["manager.plan", "writer.generate", "critic.1", "writer.refine", "critic.2", "manager.synthesis"]

describe("a durable run survives SIGKILL", () => {
  it("resumes after the finished steps: same result, each finished step's model ran once, the ledger shows each call once", async () => {
    // The baseline: the same run, uninterrupted, in a store of its own.
    const baseCounter = join(dir, "base.log")
    const base = await run(script, [join(dir, "base.db"), baseCounter, "run-1"])
    assert.strictEqual(base.code, 0, base.stderr)
    const expected = lastJson(base.stdout)
    assert.deepStrictEqual(modelCalls(baseCounter), allSteps)

    // Killed while the second critique (step 5) is in flight: steps 1-4 have finished.
    const db = join(dir, "crash.db")
    const counter = join(dir, "crash.log")
    const first = start(script, [db, counter, "run-1", "critic.2"])
    await waitForLine(counter, (l) => l === "hang critic.2")
    first.child.kill("SIGKILL")
    const killed = await first.done
    assert.strictEqual(killed.signal, "SIGKILL")
    assert.deepStrictEqual(modelCalls(counter), allSteps.slice(0, 4))

    const second = await run(script, [db, counter, "run-1"])
    assert.strictEqual(second.code, 0, second.stderr)
    const resumed = lastJson(second.stdout)
    // Every model call ran exactly once over both processes; the finished ones were not repeated.
    assert.deepStrictEqual(modelCalls(counter), allSteps)
    // The same answer as the uninterrupted run, down to the message id and metadata.
    assert.strictEqual(resumed.payload, expected.payload)
    assert.strictEqual(resumed.id, expected.id)
    assert.deepStrictEqual(resumed.metadata, expected.metadata)
    // The ledger in the store shows each model call once, attributed to its agent.
    assert.deepStrictEqual(resumed.ledger, ["manager", "writer", "critic", "writer", "critic", "manager"])

    // A finished run asked again replays its journal: the same result, no model call.
    const again = await run(script, [db, counter, "run-1"])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.strictEqual(lastJson(again.stdout).id, expected.id)
    assert.deepStrictEqual(modelCalls(counter), allSteps)
  }, 900_000)
})
