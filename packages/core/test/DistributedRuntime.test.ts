import { AgentRuntime, DistributedRuntime } from "@aixfx/core"
import { Context, Effect, Layer } from "effect"
import { runtimeSuite } from "./runtimeSuite.js"

/**
 * The contract suite over the wire: agents are registered on a serving node, and every other
 * operation goes through a second node that reaches them only over gRPC (127.0.0.1, real port).
 */
runtimeSuite("DistributedRuntime (calls over gRPC)", (options) =>
  Layer.scoped(
    AgentRuntime.AgentRuntime,
    Effect.gen(function* () {
      const server = yield* Layer.build(DistributedRuntime.layer({ ...options, listen: "127.0.0.1:0" }))
      const endpoint = Context.get(server, DistributedRuntime.Node).endpoint!
      const serving = Context.get(server, AgentRuntime.AgentRuntime)
      const caller = yield* DistributedRuntime.make({ ...options, peers: { "*": endpoint } })
      return { ...caller, register: serving.register, unregister: serving.unregister }
    }).pipe(Effect.orDie)
  ))
