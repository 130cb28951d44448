import { CostLedger, InvalidRequest, LanguageModel, RateLimited } from "@aixfx/core"
import { ScriptedModel } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Stream, TestClock } from "effect"

const ask = (content: string) => LanguageModel.generate({ messages: [{ role: "user", content }] })

describe("ScriptedModel", () => {
  it.effect("serves replies in order, then fails naming the script's length", () =>
    Effect.gen(function* () {
      const first = yield* ask("a")
      const second = yield* ask("b")
      assert.strictEqual(first.text, "one")
      assert.deepStrictEqual(second.toolCalls.map((c) => c.name), ["lookup"])
      assert.strictEqual(second.finishReason, "tool_calls")
      const third = yield* Effect.flip(ask("c"))
      assert.instanceOf(third, InvalidRequest)
      assert.include(third.message, "2 replies but call 3")
      const entries = yield* CostLedger.entries
      assert.deepStrictEqual(entries.map((e) => e.costUsd), [0, 0, 0], "scripted calls cost $0")
      assert.deepStrictEqual(entries.map((e) => e.error), [undefined, undefined, "InvalidRequest"], "the failed call is recorded, with its error")
      assert.isAbove(entries[0]!.usage.inputTokens, 0, "usage is counted with the tokenizer")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          ScriptedModel.layer({ reply: ["one", { toolCalls: [{ id: "c1", name: "lookup", arguments: "{}" }] }] }),
          CostLedger.layer
        )
      )
    ))

  it.effect("answers with a function of the request, including typed errors", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* ask("ping")).text, "echo: ping")
      const error = yield* Effect.flip(ask("fail"))
      assert.instanceOf(error, RateLimited)
    }).pipe(
      Effect.provide(
        ScriptedModel.layer({
          reply: (request) => {
            const last = request.messages.at(-1)!.content
            return last === "fail" ? new RateLimited({ provider: "scripted", message: "slow down" }) : `echo: ${last}`
          }
        })
      )
    ))

  it.effect("waits its latency on the clock (TestClock) and streams word deltas", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(Stream.runCollect(LanguageModel.stream({ messages: [{ role: "user", content: "x" }] })))
      yield* TestClock.adjust("999 millis")
      assert.isNull(yield* Fiber.poll(fiber).pipe(Effect.map((o) => (o._tag === "Some" ? o.value : null))))
      yield* TestClock.adjust("1 millis")
      const parts = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      assert.deepStrictEqual(parts.filter((p) => p._tag === "TextDelta").map((p) => (p as { text: string }).text), ["hello ", "world"])
      assert.strictEqual(parts.at(-1)!._tag, "Finish")
    }).pipe(Effect.provide(ScriptedModel.layer({ reply: ["hello world"], latency: "1 second" }))))
})
