/**
 * One node of the distributed example, run as its own process:
 * `NODE_NAME=planning|making PORT=0 tsx --conditions=@aixfx/source examples/distributed/node.ts`.
 * It serves its agents over gRPC on 127.0.0.1, prints `READY <host:port>`, and stops gracefully
 * on SIGTERM or SIGINT.
 */
import { AgentRuntime, DistributedRuntime } from "@aixfx/core"
import { Effect, Fiber, Layer } from "effect"
import { chooseModel } from "../shared/model.js"
import { type NodeName, nodes } from "./agents.js"

const name = process.env["NODE_NAME"] as NodeName
const agents = nodes[name]
if (agents === undefined) throw new Error(`NODE_NAME must be one of ${Object.keys(nodes).join(", ")}, not ${JSON.stringify(name)}`)

const serve = Effect.gen(function* () {
  const { endpoint } = yield* DistributedRuntime.Node
  console.log(`READY ${endpoint}`)
  return yield* Effect.never
}).pipe(
  Effect.provide(
    AgentRuntime.layerAgents(...agents).pipe(
      Layer.provideMerge(DistributedRuntime.layer({ listen: `127.0.0.1:${process.env["PORT"] ?? "0"}` })),
      Layer.provide(chooseModel().layer)
    )
  )
)

const fiber = Effect.runFork(serve)
const stop = () => void Effect.runPromise(Fiber.interrupt(fiber)).then(() => process.exit(0))
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
