import { assert, describe, it } from "@effect/vitest"
import { Agent, AgentRuntime, CallContext, LocalRuntime, Message, ProviderUnavailable, Telemetry } from "@aixfx/core"
import { Pattern } from "@aixfx/patterns"
import { Effect, Fiber, Ref, Schedule, TestClock } from "effect"

const flaky = (failures: number, counter: Ref.Ref<number>) =>
  Agent.make({
    name: "flaky",
    execute: (m) =>
      Ref.getAndUpdate(counter, (n) => n + 1).pipe(
        Effect.flatMap((n) =>
          n < failures ? Effect.fail(new ProviderUnavailable({ provider: "test", message: "down" })) : Effect.succeed(Message.reply(m, "ok"))
        )
      )
  })

const single = (options: Pattern.CommonOptions) =>
  Pattern.make("parallel", options, (input) =>
    Effect.map(Pattern.callStep(options, "only", "flaky", input), (out) => Pattern.reply(input, out.payload, { kind: "parallel", name: options.name }))
  )

describe("Pattern.make", () => {
  it.effect("retries a step on transient failures with stepRetry", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      yield* AgentRuntime.register(flaky(2, calls))
      const pattern = single({ name: "p", stepRetry: Schedule.recurs(3) })
      const out = yield* pattern.execute(Message.make("x"))
      assert.strictEqual(out.payload, "ok")
      assert.strictEqual(yield* Ref.get(calls), 3)
      assert.deepStrictEqual(out.metadata["trace"], { kind: "parallel", name: "p" })
    }).pipe(Effect.provide(LocalRuntime.layer())))

  it.effect("fails with PatternTimeout when the whole run exceeds timeout", () =>
    Effect.gen(function* () {
      yield* AgentRuntime.register(Agent.make({ name: "flaky", execute: (m) => Effect.as(Effect.sleep("1 minute"), m) }))
      const fiber = yield* Effect.fork(single({ name: "p", timeout: "2 seconds" }).execute(Message.make("x")))
      yield* TestClock.adjust("2 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "PatternTimeout")
      assert.include(error.message, `"p"`)
    }).pipe(Effect.provide(LocalRuntime.layer())))

  it.effect("records the pattern path and opens pattern and step spans", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      yield* AgentRuntime.register(
        Agent.make({ name: "flaky", execute: (m) => Effect.zipRight(Effect.flatMap(CallContext.get, (c) => Ref.set(seen, c.patternPath)), Effect.succeed(m)) })
      )
      yield* single({ name: "outer" }).execute(Message.make("x"))
      assert.deepStrictEqual(yield* Ref.get(seen), ["outer"])
      const names = exporter.getFinishedSpans().map((s) => s.name)
      assert.includeMembers(names, ["invoke_agent outer", "pattern.parallel outer", "step outer.only", "agent.call flaky", "invoke_agent flaky"])
    }).pipe(Effect.provide(LocalRuntime.layer()), Effect.provide(Telemetry.layerMemory(exporter)))
  })
})
