/**
 * The snippet at the top of docs/distributed.md, verbatim (docsSnippet.test.ts holds the two
 * together): `tsc -p examples` typechecks it, so the docs show code that compiles.
 */
// ---- docs/distributed.md ----
import { Agent, AgentRuntime, DistributedRuntime, Message } from "@aixfx/core"
import { Reflection } from "@aixfx/patterns"
import { Config, Effect, Layer } from "effect"

// An agent of this node.
const writer = Agent.fromFunction("writer", (m) => Message.reply(m, `Draft: ${m.payload}`))

// A node serving its agents, and calling "critic" on other nodes.
const node = DistributedRuntime.layer({
  listen: "0.0.0.0:7070",
  peers: { critic: ["10.0.0.2:7070", "10.0.0.3:7070"], "*": "10.0.0.4:7070" },
  auth: { token: Config.redacted("AIXFX_AGENT_TOKEN") },
  maxMessageBytes: 4 * 1024 * 1024
})

// A program written against AgentRuntime: the writer runs here, the critic over gRPC.
const program = Reflection.make({ name: "review", generator: "writer", critic: "critic" })
  .execute(Message.make("Explain gRPC deadlines"))

export const app = program.pipe(Effect.provide(AgentRuntime.layerAgents(writer).pipe(Layer.provideMerge(node))))
// ---- end ----
