/**
 * ClusterRuntime across real runner processes (node --import tsx, 127.0.0.1) on one Postgres:
 * routing and rebalancing, health endpoints, a rolling restart under load, and the cluster-wide
 * budget under a race. The test process is a client-only member of the cluster.
 */
import { AgentError, AgentRuntime, Message, Telemetry, TraceContext } from "@aixfx/core"
import { ClusterRuntime } from "@aixfx/cluster"
import { assert, describe, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Either, Fiber, Schema, type Scope } from "effect"
import { clientLayer, holdsShards, type Runner, settled, startRunner } from "./support/cluster.js"
import { freshDatabase, pgLayer, serverUrl } from "./support/postgres.js"

const server = serverUrl()
const workMessage = (ms: number) => Message.make(JSON.stringify({ ms }))

const get = (port: number, path: string) =>
  Effect.promise(() => fetch(`http://127.0.0.1:${port}${path}`).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown })))

/** Rows of a query on the test database. */
const query = <A extends object>(databaseUrl: string, text: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(text)).pipe(Effect.provide(pgLayer(databaseUrl)), Effect.orDie)

/** A fresh database, `count` runners on it, and this process as a client of the cluster. */
const inCluster = <A, E>(
  name: string,
  count: number,
  body: (runners: ReadonlyArray<Runner>, databaseUrl: string) => Effect.Effect<A, E, AgentRuntime.AgentRuntime | ClusterRuntime.Node | Scope.Scope>
) =>
  Effect.gen(function* () {
    const databaseUrl = yield* Effect.promise(() => freshDatabase(server!, name))
    const runners = yield* Effect.all(Array.from({ length: count }, () => startRunner(databaseUrl)), { concurrency: "unbounded" })
    return yield* body(runners, databaseUrl).pipe(Effect.provide(clientLayer(databaseUrl)))
  }).pipe(Effect.scoped)

if (server === undefined) {
  describe.skip("ClusterRuntime across processes (no Postgres)", () => it("skipped", () => {}))
} else {
  describe("ClusterRuntime across runner processes", () => {
    it.live("three runners share the calls; health and readiness answer; a runner leaving moves its shards to the others", () =>
      inCluster("routing", 3, (runners) =>
        Effect.gen(function* () {
          const runtime = yield* AgentRuntime.AgentRuntime
          const spread = Effect.forEach(Array.from({ length: 60 }, () => workMessage(10)), (m) => runtime.call("work", m), {
            concurrency: "unbounded"
          }).pipe(Effect.map((replies) => new Set(replies.map((r) => String(r.metadata["runner"])))))
          yield* settled(runners)
          const before = yield* spread
          assert.isAtLeast(before.size, 2, `calls spread over runners: ${[...before].join(", ")}`)

          const health = yield* get(runners[0]!.healthPort, "/healthz")
          assert.strictEqual(health.status, 200)
          assert.include(health.body as object, { ok: true, runner: `127.0.0.1:${runners[0]!.port}` })
          assert.strictEqual((yield* get(runners[0]!.healthPort, "/readyz")).status, 200)
          assert.isTrue(yield* (yield* ClusterRuntime.Node).ready())

          yield* runners[0]!.stop
          const after = yield* spread
          assert.isFalse(after.has(`127.0.0.1:${runners[0]!.port}`), "no call reaches the stopped runner")
          assert.strictEqual(after.size, 2)
        })
      ))

    it.live("rolling restart (SIGTERM each runner in turn) with 200 calls in flight: each completes or fails typed, none lost or run twice", () =>
      inCluster("rolling", 3, (runners, databaseUrl) =>
        Effect.gen(function* () {
          const runtime = yield* AgentRuntime.AgentRuntime
          yield* settled(runners)
          let restarting = true
          const outcomes: Array<{ readonly id: string; readonly result: Either.Either<Message.Message, AgentError> }> = []
          // 200 callers, each calling again as soon as its call ends, until every runner was restarted.
          const caller = Effect.gen(function* () {
            while (restarting) {
              const message = workMessage(300)
              const result = yield* Effect.either(runtime.call("work", message, { timeout: "120 seconds" }))
              outcomes.push({ id: message.id, result })
            }
          })
          const callers = yield* Effect.forkAll(Array.from({ length: 200 }, () => caller))
          yield* Effect.sleep("2 seconds")
          // Each runner in turn gets SIGTERM while its replacement (a new process) starts, as a
          // Deployment's rolling update does; the next one goes once the old one exited and the
          // replacement serves (holds shards).
          for (const runner of runners) {
            const [replacement] = yield* Effect.all([startRunner(databaseUrl), runner.stop], { concurrency: "unbounded" })
            yield* holdsShards(replacement)
          }
          yield* Effect.sleep("2 seconds")
          restarting = false
          yield* Fiber.join(callers)

          const failures = outcomes.flatMap((o) => (Either.isLeft(o.result) ? [o.result.left] : []))
          const succeeded = outcomes.filter((o) => Either.isRight(o.result)).map((o) => o.id)
          const tags = failures.map((e) => (e._tag === "TransportError" ? `TransportError ${e.code}` : e._tag))
          console.log(`rolling restart: ${outcomes.length} calls, ${succeeded.length} succeeded, failed: ${JSON.stringify(countBy(tags))}`)
          assert.isAtLeast(outcomes.length, 200)
          assert.deepStrictEqual(tags.filter((tag) => tag === "CallTimeout"), [], "no call was lost (left waiting)")
          assert.deepStrictEqual(failures.filter((e) => !Schema.is(AgentError)(e)), [], "every failure is a typed AgentError")

          // Every execution of the agent recorded its start and its end in Postgres, whichever
          // runner ran it: no call started twice, none ended twice.
          const runs = yield* query<{ readonly message_id: string; readonly phase: string; readonly n: string }>(
            databaseUrl,
            "SELECT message_id, phase, count(*) AS n FROM test_executions GROUP BY message_id, phase"
          )
          assert.deepStrictEqual(runs.filter((r) => Number(r.n) > 1), [], "no call's agent ran twice")
          const done = new Set(runs.filter((r) => r.phase === "done").map((r) => r.message_id))
          assert.deepStrictEqual(succeeded.filter((id) => !done.has(id)), [], "every success was run by the agent")
          const called = new Set(outcomes.map((o) => o.id))
          assert.deepStrictEqual(runs.filter((r) => !called.has(r.message_id)), [], "every execution belongs to a call")
        })
      ), 900_000)

    it.live("budget race: 3 runners reserving against one cap in parallel never commit past it", () =>
      inCluster("budget", 3, (runners, databaseUrl) =>
        Effect.gen(function* () {
          const runtime = yield* AgentRuntime.AgentRuntime
          yield* settled(runners)
          // 0.03 a call against 1.00: 33 calls fit, the 34th would cross the cap.
          const payload = JSON.stringify({ key: "run:race", cap: 1, cost: 0.03, ms: 200 })
          const results = yield* Effect.forEach(Array.from({ length: 150 }, () => Message.make(payload)), (m) => Effect.either(runtime.call("spend", m)), {
            concurrency: "unbounded"
          })
          const spent = results.filter(Either.isRight)
          const refused = results.filter(Either.isLeft).map((r) => (r.left._tag === "TransportError" ? `TransportError ${r.left.code}` : r.left._tag))
          console.log(`budget race: ${spent.length} spent, refused: ${JSON.stringify(countBy(refused))}`)
          const [row] = yield* query<{ readonly settled: string; readonly reserved: string }>(
            databaseUrl,
            "SELECT settled, reserved FROM aixfx_budgets WHERE key = 'run:race'"
          )
          const committed = Number(row!.settled) + Number(row!.reserved)
          // The invariant: whatever the transport did, the cluster never committed past the cap.
          assert.isAtMost(committed, 1, "committed across the cluster stays within the cap")
          assert.isAtMost(spent.length, 33)
          assert.isAtLeast(committed, spent.length * 0.03 - 1e-9, "every successful call's cost is committed")
          // The race was real: the cap was reached and the calls past it were refused.
          assert.isAtLeast(refused.filter((tag) => tag === "BudgetExceeded").length, 150 - 33 - refused.filter((tag) => tag !== "BudgetExceeded").length)
          assert.deepStrictEqual(refused.filter((tag) => tag !== "BudgetExceeded" && !tag.startsWith("TransportError")), [], "failures are typed")
          assert.isAtLeast(new Set(spent.map((r) => String(r.right.metadata["runner"]))).size, 2, "the spending ran on several runners")
        })
      ))

    it.live("a call to a runner process continues the caller's trace there, with its session and user", () => {
      // Read while the telemetry layer is open (its shutdown empties the exporter).
      const exporter = new Telemetry.InMemorySpanExporter()
      return Effect.gen(function* () {
        const databaseUrl = yield* Effect.promise(() => freshDatabase(server!, "tracing"))
        const runner = yield* startRunner(databaseUrl, undefined, undefined, { SPANS: "1" })
        return yield* Effect.gen(function* () {
          const runtime = yield* AgentRuntime.AgentRuntime
          yield* holdsShards(runner)
          yield* runtime.call("work", workMessage(10)).pipe(TraceContext.withSession({ sessionId: "s-3", userId: "u-3" }), Effect.withSpan("caller"))
          const call = exporter.getFinishedSpans().find((span) => span.name === "agent.call work")!
          // One runner: the `spans` call lands on the runner that served `work`.
          const remote = JSON.parse((yield* runtime.call("spans", Message.make("?"))).payload) as ReadonlyArray<{
            name: string
            traceId: string
            spanId: string
            parentSpanId: string | null
            sessionId: string | null
            userId: string | null
          }>
          const served = remote.filter((span) => span.traceId === call.spanContext().traceId)
          const servedCall = served.find((span) => span.name === "agent.call work")
          const agent = served.find((span) => span.name === "invoke_agent work")
          assert.isDefined(servedCall, `the runner's spans in the caller's trace: ${served.map((span) => span.name).join(", ")}`)
          assert.isDefined(agent)
          assert.strictEqual(servedCall!.parentSpanId, call.spanContext().spanId, "the runner's agent.call hangs under the caller's")
          assert.strictEqual(agent!.parentSpanId, servedCall!.spanId)
          assert.deepStrictEqual([agent!.sessionId, agent!.userId], ["s-3", "u-3"])
        }).pipe(Effect.provide(clientLayer(databaseUrl)))
      }).pipe(Effect.scoped, Effect.provide(Telemetry.layerMemory(exporter, "caller")))
    })
  })
}

const countBy = (tags: ReadonlyArray<string>) => tags.reduce<Record<string, number>>((acc, tag) => ({ ...acc, [tag]: (acc[tag] ?? 0) + 1 }), {})
