import { AgentRuntime } from "@aixfx/core"
import { ClusterRuntime } from "@aixfx/cluster"
import { beforeAll, describe, it } from "@effect/vitest"
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
}
