/**
 * Durable runs on the cluster (ClusterDurable): three runner processes and Postgres; a nested
 * Hierarchical → Reflection run whose runner is SIGKILLed mid-run continues on another runner,
 * no finished step runs again, and the one Postgres ledger shows each model call once, whichever
 * runner made it. The test process is a client of the cluster: it starts the run and waits for it.
 */
import { Workflow } from "@aixfx/core"
import { ClusterDurable, ClusterRuntime } from "@aixfx/cluster"
import { SqlCostLedger } from "@aixfx/durable"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { lines } from "../../durable/test/processes.js"
import { nestedProgram } from "../../durable/test/fixtures/agents.js"
import { durableRunnerScript, settled, sharding, startRunner } from "./support/cluster.js"
import { freshDatabase, pgLayer, serverUrl } from "./support/postgres.js"

const server = serverUrl()
const dir = mkdtempSync(join(tmpdir(), "aixfx-cluster-durable-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const allSteps = ["manager.plan", "writer.generate", "critic.1", "writer.refine", "critic.2", "manager.synthesis"]
const modelCalls = (counter: string) => lines(counter).filter((l) => l.startsWith("model ")).map((l) => l.slice(6))
const pids = (counter: string) => new Set(lines(counter).filter((l) => l.startsWith("pid ")).map((l) => Number(l.slice(4))))

/** Waits (live clock, bounded) until `test` holds for the counter file's lines. */
const waitFor = (counter: string, what: string, test: (lines: ReadonlyArray<string>) => boolean, within: Duration.DurationInput = "180 seconds") =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(within)
    while (!test(lines(counter))) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`${what} not seen within ${Duration.format(within)}: ${lines(counter).join(" | ")}`)
      yield* Effect.sleep("100 millis")
    }
  })

if (server === undefined) {
  describe.skip("durable runs on the cluster (no Postgres)", () => it("skipped", () => {}))
} else {
  describe("durable runs on the cluster", () => {
    it.live("a run whose runner is SIGKILLed mid-run completes on another runner; finished steps ran once; the ledger shows each model call once", () =>
      Effect.gen(function* () {
        const databaseUrl = yield* Effect.promise(() => freshDatabase(server, "durable"))
        const counter = join(dir, "calls.log")
        const runners = yield* Effect.all(
          Array.from({ length: 3 }, () => startRunner(databaseUrl, undefined, durableRunnerScript, { COUNTER: counter, HANG_AT: "critic.2" })),
          { concurrency: "unbounded" }
        )
        yield* settled(runners)

        const client = ClusterDurable.layer({ workflows: { nested: nestedProgram } }).pipe(
          Layer.provideMerge(ClusterRuntime.layer({ sharding })),
          Layer.provideMerge(pgLayer(databaseUrl))
        )
        yield* Effect.gen(function* () {
          const run = yield* Effect.fork(Workflow.run("nested", { runId: "run-1" })(nestedProgram))

          // The run's runner reaches the second critique (steps 1-4 done) and hangs there: kill it.
          yield* waitFor(counter, "the hang at critic.2", (all) => all.includes("hang critic.2"))
          const [first] = [...pids(counter)]
          assert.deepStrictEqual([...pids(counter)], [first], "one runner ran the run so far")
          const victim = runners.find((r) => r.pid === first)
          assert.isDefined(victim, `the pid ${first} is one of the runners`)
          yield* victim!.kill
          assert.deepStrictEqual(modelCalls(counter), allSteps.slice(0, 4))

          const out = yield* Fiber.join(run).pipe(Effect.timeout("240 seconds"))
          assert.match(out.payload, /^Final: Retries back off exponentially, with jitter/)
          // Every model call ran exactly once over both runners; the finished ones were not repeated.
          assert.deepStrictEqual(modelCalls(counter), allSteps)
          const ran = pids(counter)
          assert.strictEqual(ran.size, 2, "the run continued on a second runner")
          assert.isTrue(ran.has(first!))

          // One ledger for the cluster: each call once, attributed to its agent, from both runners.
          const ledger = yield* Effect.flatMap(SqlCostLedger.make, (l) => l.entriesOf("run-1"))
          assert.deepStrictEqual(ledger.map((e) => e.agent), ["manager", "writer", "critic", "writer", "critic", "manager"])

          // The finished run asked again replays its journal: the same answer, no model call.
          const again = yield* Workflow.run("nested", { runId: "run-1" })(nestedProgram)
          assert.strictEqual(again.id, out.id)
          assert.deepStrictEqual(modelCalls(counter), allSteps)
        }).pipe(Effect.provide(client))
      }).pipe(Effect.scoped), 900_000)
  })
}
