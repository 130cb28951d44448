/**
 * Postgres restarted (pg_ctl restart -m fast: every connection cut) while calls run on two
 * runner processes: each call completes or fails typed, and calls succeed again once it is back.
 * Restarts the server packages/cluster/scripts/postgres.sh started (AIXFX_PG_STATE names it, as
 * .ci/run sets it); without that state file the test fails saying so.
 */
import { AgentError, AgentRuntime, Message } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Schedule, Schema } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { clientLayer, settled, startRunner } from "./support/cluster.js"
import { freshDatabase, serverUrl } from "./support/postgres.js"

const server = serverUrl()
const script = fileURLToPath(new URL("../scripts/postgres.sh", import.meta.url))
const state = process.env["AIXFX_PG_STATE"] ?? "/tmp/aixfx-cluster-pg.state"

if (server === undefined) {
  describe.skip("Postgres restart (no Postgres)", () => it("skipped", () => {}))
} else {
  describe("ClusterRuntime while Postgres restarts", () => {
    it.live("calls in flight complete or fail typed, and the cluster serves again once Postgres is back", () =>
      Effect.gen(function* () {
        assert.isTrue(existsSync(state), `no ${state}: this test restarts the Postgres that packages/cluster/scripts/postgres.sh started (set AIXFX_PG_STATE as when it started)`)
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
          const failures = results.flatMap((r) => (Either.isLeft(r) ? [r.left] : []))
          const failed = failures.map((e) => (e._tag === "TransportError" ? `TransportError ${e.code}` : e._tag))
          console.log(`Postgres restart: ${results.filter(Either.isRight).length}/100 calls succeeded, failed: ${JSON.stringify(failed)}`)
          assert.deepStrictEqual(failed.filter((tag) => tag === "CallTimeout"), [], "no call was left waiting")
          assert.deepStrictEqual(failures.filter((e) => !Schema.is(AgentError)(e)), [], "every failure is a typed AgentError")

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
