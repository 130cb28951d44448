/**
 * The example of docs/distributed.md ("Testing your program over the wire"), as written there: the
 * same test on LocalRuntime and, by swapping one layer, across gRPC between two loopback nodes.
 */
import { Agent, AgentRuntime, DistributedRuntime, LocalRuntime, Message } from "@aixfx/core"
import { Router } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"

const classifier = Agent.fromFunction("classifier", (m) => Message.reply(m, m.payload.includes("refund") ? "billing" : "tech"))
const billing = Agent.fromFunction("billing", (m) => Message.reply(m, `billing: ${m.payload}`))
const tech = Agent.fromFunction("tech", (m) => Message.reply(m, `tech: ${m.payload}`))
const desk = Router.make({ name: "desk", classifier, routes: { billing, tech } })

describe("DistributedRuntime.loopback", () => {
  it.effect("routes a refund to billing, over gRPC", () =>
    Effect.gen(function* () {
      const reply = yield* AgentRuntime.call(desk, Message.make("refund please"))
      assert.strictEqual(reply.payload, "billing: refund please")
    }).pipe(Effect.provide(DistributedRuntime.loopback({ agents: [classifier, billing, tech, desk] }))))

  it.effect("the same program on LocalRuntime", () =>
    Effect.gen(function* () {
      const reply = yield* AgentRuntime.call(desk, Message.make("it crashes"))
      assert.strictEqual(reply.payload, "tech: it crashes")
    }).pipe(Effect.provide(AgentRuntime.layerAgents(classifier, billing, tech, desk).pipe(Layer.provideMerge(LocalRuntime.layer())))))

  it.effect("the calls really cross the wire: listed at the serving node's endpoint, and a typed error comes back", () =>
    Effect.gen(function* () {
      const listed = yield* AgentRuntime.list
      const node = yield* DistributedRuntime.Node
      assert.isUndefined(node.endpoint, "the Node provided is the calling node's, which serves nothing")
      assert.deepStrictEqual(listed.map((a) => a.name).sort(), ["billing", "classifier", "desk", "tech"])
      for (const agent of listed) assert.match(agent.location, /^127\.0\.0\.1:\d+$/)
      const error = yield* Effect.flip(AgentRuntime.call("nobody", Message.make("x")))
      assert.strictEqual(error._tag, "AgentNotFound")
    }).pipe(Effect.provide(DistributedRuntime.loopback({ agents: [classifier, billing, tech, desk] }))))
})
