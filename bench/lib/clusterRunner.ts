/**
 * A cluster runner process for bench/cluster.ts: ClusterRuntime on 127.0.0.1:RUNNER_PORT over the
 * Postgres at DATABASE_URL, hosting `echo` (replies at once), `sleep` (replies after the payload's
 * milliseconds) and `step` (sleeps 100 ms, then records its step, this process's pid and the time
 * in `bench_steps`), with durable runs of the workflow `failover` (`failoverSteps` steps).
 * Prints "READY host:port" once the cluster answers; SIGTERM stops it, and so does its stdin
 * closing (the bench pipes it: it closes when the bench process is gone, even SIGKILLed).
 */
import { NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { ClusterDurable, ClusterRuntime } from "@aixfx/cluster"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { benchSharding, failoverWorkflow } from "./clusterSharding.js"

const port = Number(process.env["RUNNER_PORT"])

const echo = Agent.fromFunction("echo", (m) => Message.reply(m, m.payload))
const sleep = Agent.make({ name: "sleep", execute: (m) => Effect.as(Effect.sleep(Number(m.payload)), Message.reply(m, "done")) })
const step = Agent.make({
  name: "step",
  execute: (m) =>
    Effect.gen(function* () {
      yield* Effect.sleep("100 millis")
      const sql = yield* PgClient.PgClient
      yield* Effect.orDie(sql`INSERT INTO bench_steps (step, pid, at_ms) VALUES (${Number(m.payload)}, ${process.pid}, ${Date.now()})`)
      return Message.reply(m, "ok")
    })
})

const Tables = Layer.effectDiscard(
  Effect.flatMap(PgClient.PgClient, (sql) => sql`CREATE TABLE IF NOT EXISTS bench_steps (step int NOT NULL, pid int NOT NULL, at_ms float8 NOT NULL)`).pipe(
    Effect.retry(Schedule.recurs(5)),
    Effect.orDie
  )
)

const ReadyLine = Layer.effectDiscard(
  Effect.gen(function* () {
    const node = yield* ClusterRuntime.Node
    yield* node.ready().pipe(Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("200 millis") }))
    console.log(`READY 127.0.0.1:${port}`)
  }).pipe(Effect.forkScoped)
)

process.stdin.once("close", () => process.kill(process.pid, "SIGTERM"))
process.stdin.resume()

Layer.launch(
  Layer.mergeAll(AgentRuntime.layerAgents<PgClient.PgClient>(echo, sleep, step), ReadyLine).pipe(
    Layer.provideMerge(ClusterDurable.layer({ workflows: { failover: failoverWorkflow } })),
    Layer.provideMerge(ClusterRuntime.layer({ runner: { host: "127.0.0.1", port }, sharding: benchSharding() })),
    Layer.provideMerge(Tables),
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(process.env["DATABASE_URL"]!), maxConnections: 20 }))
  )
).pipe(Effect.scoped, NodeRuntime.runMain)
