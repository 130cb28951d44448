import { DistributedRuntime } from "@aixfx/core"
import { Layer } from "effect"
import { runtimeSuite } from "./runtimeSuite.js"

/**
 * The contract suite over the wire: agents are registered on a serving node, and every other
 * operation goes through a second node that reaches them only over gRPC (127.0.0.1, real port).
 */
runtimeSuite("DistributedRuntime (calls over gRPC)", (options) => DistributedRuntime.loopback(options).pipe(Layer.orDie))
