/**
 * Postgres restarted (pg_ctl restart -m fast: every connection cut) while calls run on two
 * runner processes: each call completes or fails typed, and calls succeed again once it is back.
 * Restarts the server packages/cluster/scripts/postgres.sh started (AIXFX_PG_STATE names it).
 */
import { AgentRuntime, Message } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Schedule } from "effect"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { clientLayer, settled, startRunner } from "./support/cluster.js"
import { freshDatabase, serverUrl } from "./support/postgres.js"

const server = serverUrl()
const script = fileURLToPath(new URL("../scripts/postgres.sh", import.meta.url))

if (server === undefined) {
  describe.skip("Postgres restart (no Postgres)", () => it("skipped", () => {}))
} else {
  describe("ClusterRuntime while Postgres restarts", () => {
    it.live("calls in flight complete or fail typed, and the cluster serves again once Postgres is back", () =>
      Effect.gen(function* () {
        const databaseUrl = yield* Effect.promise(() => freshDatabase(server, "pgrestart"))
        const runners = yield* Effect.all([startRunner(databaseUrl), startRunner(databaseUrl)], { concurrency: "unbounded" })
        yield* settled(runners)
        yield* Effect.gen(function* () {
          const runtime = yield* AgentRuntime.AgentRuntime
          const inFlight = yield* Effect.fork(
            Effect.forEach(Array.from({ length: 100 }, () => Message.make(JSON.stringify({ ms: 3000 }))), (m) =>
              Effect.either(runtime.call("work", m, { timeout: "150 seconds" })), { concurrency: "unbounded" })
          )
          yield* Effect.sleep("1 second")
          yield* Effect.sync(() => execFileSync(script, ["restart"], { stdio: "inherit" }))
          const results = yield* Fiber.join(inFlight)
          const failed = results.filter(Either.isLeft).map((r) => r.left._tag)
          console.log(`Postgres restart: ${results.filter(Either.isRight).length}/100 calls succeeded, failed: ${JSON.stringify(failed)}`)
          assert.deepStrictEqual(failed.filter((tag) => tag === "CallTimeout"), [], "no call was left waiting")

          // Once it is back: a first call may wait for the runners to reconnect, then all succeed.
          yield* runtime.call("work", Message.make(JSON.stringify({ ms: 10 })), { timeout: "20 seconds" }).pipe(
            Effect.retry({ schedule: Schedule.spaced("1 second"), times: 60 })
          )
          const after = yield* Effect.forEach(Array.from({ length: 50 }, () => Message.make(JSON.stringify({ ms: 10 }))), (m) =>
            Effect.either(runtime.call("work", m)), { concurrency: "unbounded" })
          assert.strictEqual(after.filter(Either.isRight).length, 50, "every call after the restart succeeded")
        }).pipe(Effect.provide(clientLayer(databaseUrl)))
      }).pipe(Effect.scoped), 900_000)
  })
}
