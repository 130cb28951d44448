import { Agent, AgentRuntime, CallContext, DistributedRuntime, Message } from "@aixfx/core"
import { ClusterRuntime } from "@aixfx/cluster"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { runtimeSuite } from "../../core/test/runtimeSuite.js"
import { freePort, holdsAllShards, sharding } from "./support/cluster.js"
import { freshDatabase, pgLayer, serverUrl } from "./support/postgres.js"

const server = serverUrl()

if (server === undefined) {
  describe.skip("ClusterRuntime (no Postgres)", () => it("skipped", () => {}))
} else {
  let databaseUrl = ""
  beforeAll(async () => {
    databaseUrl = await freshDatabase(server, "contract")
  })

  /**
   * The contract suite on a one-runner cluster in this process: every call goes through the
   * sharding (the entity client, the shard's owner, the entity's handler), on a real Postgres.
   */
  runtimeSuite("ClusterRuntime (one runner, Postgres)", (options) =>
    Layer.scopedContext(
      Effect.gen(function* () {
        const port = yield* Effect.promise(freePort)
        const context = yield* Layer.build(
          ClusterRuntime.layer({ ...options, runner: { host: "127.0.0.1", port }, sharding }).pipe(Layer.provide(pgLayer(databaseUrl)))
        )
        yield* holdsAllShards(Context.get(context, ClusterRuntime.Node))
        return Context.pick(AgentRuntime.AgentRuntime)(context)
      })
    )
  )

  describe("ClusterRuntime behind a gRPC node", () => {
    it.live("a DistributedRuntime node fronts the cluster: a gRPC call reaches a cluster agent, with its call context", () =>
      Effect.gen(function* () {
        const port = yield* Effect.promise(freePort)
        const cluster = yield* Layer.build(
          ClusterRuntime.layer({ runner: { host: "127.0.0.1", port }, sharding }).pipe(Layer.provide(pgLayer(databaseUrl)))
        )
        yield* holdsAllShards(Context.get(cluster, ClusterRuntime.Node))
        const clusterRuntime = Context.get(cluster, AgentRuntime.AgentRuntime)
        yield* clusterRuntime.register(
          Agent.make({
            name: "echo",
            execute: (m) => Effect.map(CallContext.get, (ctx) => Message.reply(m, `cluster echo: ${m.payload} (run ${ctx.runId})`))
          })
        )
        const front = yield* Layer.build(DistributedRuntime.layer({ listen: "127.0.0.1:0" }))
        yield* Context.get(front, AgentRuntime.AgentRuntime).register(ClusterRuntime.forwarding(clusterRuntime, "echo"))
        const caller = yield* DistributedRuntime.make({ peers: { "*": Context.get(front, DistributedRuntime.Node).endpoint! } })
        const reply = yield* caller.call("echo", Message.make("hi")).pipe(CallContext.withRun("run-7"))
        assert.strictEqual(reply.payload, "cluster echo: hi (run run-7)")
      }).pipe(Effect.scoped))
  })
}
