import { assert, describe, it } from "@effect/vitest"
import { Usage } from "@aixfx/core"
import { Effect, Fiber } from "effect"
import * as CancelledCosts from "../src/internal/grpc/cancelledCosts.js"

const entry = {
  runId: undefined,
  workflow: undefined,
  agent: "stuck",
  patternPath: [],
  provider: "anthropic",
  model: "claude-sonnet-4-5",
  usage: Usage.make({ inputTokens: 500 }),
  costUsd: 0.5,
  durationMs: 1,
  timestamp: 0
}

describe("the costs of cancelled served calls", () => {
  it.effect("are kept for their caller, once", () =>
    Effect.gen(function* () {
      const kept = CancelledCosts.make()
      kept.started("a")
      kept.ended("a", [entry], true)
      assert.deepStrictEqual(yield* kept.take("a"), [entry])
      assert.deepStrictEqual(yield* kept.take("a"), [], "taken already")
    }))

  it.effect("an ask for a call still ending waits for its end", () =>
    Effect.gen(function* () {
      const kept = CancelledCosts.make()
      kept.started("b")
      const asked = yield* Effect.fork(kept.take("b"))
      yield* Effect.yieldNow()
      assert.isNull(asked.unsafePoll())
      kept.ended("b", [entry], true)
      assert.deepStrictEqual(yield* Fiber.join(asked), [entry])
    }))

  it.effect("nothing for a call not known, nor for one that ended with its answer", () =>
    Effect.gen(function* () {
      const kept = CancelledCosts.make()
      kept.started("c")
      kept.ended("c", [entry], false)
      assert.deepStrictEqual(yield* kept.take("c"), [])
      assert.deepStrictEqual(yield* kept.take("unknown"), [])
    }))

  it.effect("keeps at most 10,000 calls, dropping the oldest", () =>
    Effect.gen(function* () {
      const kept = CancelledCosts.make()
      for (let i = 0; i <= 10_000; i++) {
        kept.started(`call-${i}`)
        kept.ended(`call-${i}`, [entry], true)
      }
      assert.deepStrictEqual(yield* kept.take("call-0"), [], "the oldest went")
      assert.deepStrictEqual(yield* kept.take("call-10000"), [entry])
    }))
})
