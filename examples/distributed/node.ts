/**
 * One node of the distributed example, run as its own process:
 * `NODE_NAME=planning|making PORT=0 tsx --conditions=@aixfx/source examples/distributed/node.ts`.
 * It serves its agents over gRPC on 127.0.0.1 and prints `READY <host:port>`.
 *
 * This is the recommended way to run a node: the node is a Layer, launched by `NodeRuntime.runMain`,
 * which interrupts it on SIGTERM or SIGINT. The node then stops as its scope closes: health turns
 * NOT_SERVING, no new calls are taken, calls in flight may finish within `shutdownGracePeriod`,
 * and only then are the rest cancelled (their callers get `RuntimeStopped`).
 */
import { AgentRuntime, DistributedRuntime } from "@aixfx/core"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { chooseModel } from "../shared/model.js"
import { type NodeName, nodes } from "./agents.js"

const name = process.env["NODE_NAME"] as NodeName
const agents = nodes[name]
if (agents === undefined) throw new Error(`NODE_NAME must be one of ${Object.keys(nodes).join(", ")}, not ${JSON.stringify(name)}`)

const announce = Layer.effectDiscard(Effect.flatMap(DistributedRuntime.Node, ({ endpoint }) => Console.log(`READY ${endpoint}`)))

const node = announce.pipe(
  Layer.provideMerge(AgentRuntime.layerAgents(...agents)),
  Layer.provideMerge(DistributedRuntime.layer({ listen: `127.0.0.1:${process.env["PORT"] ?? "0"}`, shutdownGracePeriod: "10 seconds" })),
  Layer.provide(chooseModel().layer)
)

NodeRuntime.runMain(Layer.launch(node))
