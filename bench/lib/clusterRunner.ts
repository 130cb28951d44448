/**
 * A cluster runner process for bench/cluster.ts: ClusterRuntime on 127.0.0.1:RUNNER_PORT over the
 * Postgres at DATABASE_URL, hosting `echo` (replies at once) and `sleep` (replies after the
 * payload's milliseconds). Prints "READY host:port" once the cluster answers; SIGTERM stops it.
 */
import { NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { ClusterRuntime } from "@aixfx/cluster"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { benchSharding } from "./clusterSharding.js"

const port = Number(process.env["RUNNER_PORT"])

const echo = Agent.fromFunction("echo", (m) => Message.reply(m, m.payload))
const sleep = Agent.make({ name: "sleep", execute: (m) => Effect.as(Effect.sleep(Number(m.payload)), Message.reply(m, "done")) })

const ReadyLine = Layer.effectDiscard(
  Effect.gen(function* () {
    const node = yield* ClusterRuntime.Node
    yield* node.ready().pipe(Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("200 millis") }))
    console.log(`READY 127.0.0.1:${port}`)
  }).pipe(Effect.forkScoped)
)

Layer.launch(
  Layer.mergeAll(AgentRuntime.layerAgents(echo, sleep), ReadyLine).pipe(
    Layer.provideMerge(ClusterRuntime.layer({ runner: { host: "127.0.0.1", port }, sharding: benchSharding })),
    Layer.provide(PgClient.layer({ url: Redacted.make(process.env["DATABASE_URL"]!), maxConnections: 20 }))
  )
).pipe(Effect.scoped, NodeRuntime.runMain)
