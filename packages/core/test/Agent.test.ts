import { assert, describe, it } from "@effect/vitest"
import { Agent, AgentRuntime, CallContext, LocalRuntime, Message, Telemetry } from "@aixfx/core"
import { Effect, Either, Option } from "effect"

describe("Agent names", () => {
  it("accepts lower-case names up to 64 characters", () => {
    for (const name of ["a", "researcher", "web_search-2", "a".repeat(64)]) assert.isTrue(Agent.isValidName(name), name)
  })

  it("rejects everything else", () => {
    for (const name of ["", "1agent", "Agent", "with space", "dot.name", "a".repeat(65), "-x", "émile"]) {
      assert.isFalse(Agent.isValidName(name), name)
    }
  })

  it.effect("validateName fails with a message that states the rule", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Agent.validateName("My Agent"))
      assert.strictEqual(error._tag, "InvalidAgentName")
      assert.strictEqual(error.name, "My Agent")
      assert.include(error.message, `"My Agent"`)
      assert.include(error.message, "^[a-z][a-z0-9_-]{0,63}$")
    }))
})

describe("Agent spans", () => {
  // Reports the span current inside the agent: its own when spans are made, the caller's otherwise.
  const spanInside = Agent.make({
    name: "span-inside",
    execute: (input) =>
      Effect.map(Effect.option(Effect.currentSpan), (span) =>
        Message.reply(input, Option.match(span, { onNone: () => "no span", onSome: (s) => s.name })))
  })
  const callInsideSpan = Effect.gen(function* () {
    yield* AgentRuntime.register(spanInside)
    const called = yield* AgentRuntime.call("span-inside", Message.make("x")).pipe(Effect.withSpan("caller"))
    const executed = yield* spanInside.execute(Message.make("x")).pipe(Effect.withSpan("caller"))
    return [called.payload, executed.payload]
  }).pipe(Effect.provide(LocalRuntime.layer()))

  it.effect("are not made when no tracer is installed: the caller's span is the current one inside", () =>
    Effect.map(callInsideSpan, (payloads) => assert.deepStrictEqual(payloads, ["caller", "caller"])))

  it.effect("are made when a tracer is installed: invoke_agent under agent.call under the caller", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      assert.deepStrictEqual(yield* callInsideSpan, ["invoke_agent span-inside", "invoke_agent span-inside"])
      const spans = exporter.getFinishedSpans()
      const parentOf = (span: (typeof spans)[number]) => spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId)?.name
      const named = (name: string) => spans.filter((s) => s.name === name)
      assert.deepStrictEqual(named("agent.call span-inside").map(parentOf), ["caller"])
      // Called through the runtime, then executed directly.
      assert.deepStrictEqual(named("invoke_agent span-inside").map(parentOf), ["agent.call span-inside", "caller"])
    }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })
})

describe("Agent.make's execute on a runtime", () => {
  const whoAmI = (reply: string) => (input: Message.Message) =>
    Effect.map(CallContext.get, (ctx) => Message.reply(input, `${reply} as ${ctx.agent}`))

  it.effect("runs as its agent, with or without a tracer, by call and in a fan-out", () =>
    Effect.gen(function* () {
      yield* AgentRuntime.register(Agent.make({ name: "plain", execute: whoAmI("plain") }))
      const called = yield* AgentRuntime.call("plain", Message.make("x"))
      const [fannedOut] = yield* AgentRuntime.callAll(["plain"], Message.make("x"))
      assert.strictEqual(called.payload, "plain as plain")
      assert.strictEqual(Either.getOrThrow(fannedOut!).payload, "plain as plain")
    }).pipe(Effect.provide(LocalRuntime.layer())))

  it.effect("an agent whose execute was replaced runs the replacement", () =>
    Effect.gen(function* () {
      const original = Agent.make({ name: "wrapped", execute: whoAmI("original") })
      yield* AgentRuntime.register({ ...original, execute: (input) => Effect.map(original.execute(input), (reply) => Message.reply(input, `${reply.payload}, wrapped`)) })
      const called = yield* AgentRuntime.call("wrapped", Message.make("x"))
      const [fannedOut] = yield* AgentRuntime.callAll(["wrapped"], Message.make("x"))
      assert.strictEqual(called.payload, "original as wrapped, wrapped")
      assert.strictEqual(Either.getOrThrow(fannedOut!).payload, "original as wrapped, wrapped")
    }).pipe(Effect.provide(LocalRuntime.layer())))
})
