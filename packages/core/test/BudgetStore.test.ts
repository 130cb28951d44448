import { BudgetExceeded, BudgetStore } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

describe("BudgetStore (in memory)", () => {
  it.effect("reservations of concurrent calls never exceed the cap together", () =>
    Effect.gen(function* () {
      const store = yield* BudgetStore.BudgetStore
      const outcomes = yield* Effect.forEach(Array.from({ length: 50 }, (_, i) => i), () => Effect.either(store.reserve("run r1", 1, 0.03)), {
        concurrency: "unbounded"
      })
      const held = outcomes.filter((o) => o._tag === "Right").length
      assert.strictEqual(held, 33, "floor(1 / 0.03) reservations fit")
      assert.isAtMost(yield* store.committed("run r1"), 1)
      const refused = outcomes.find((o) => o._tag === "Left")!
      assert.instanceOf(refused.left, BudgetExceeded)
      assert.strictEqual(refused.left.scope, "run r1")
    }).pipe(Effect.provide(BudgetStore.layer)))

  it.effect("settling replaces the reservation by the actual amount, once; keys are independent", () =>
    Effect.gen(function* () {
      const store = yield* BudgetStore.BudgetStore
      const a = yield* store.reserve("run r1", 1, 0.6)
      assert.isTrue((yield* Effect.either(store.reserve("run r1", 1, 0.6)))._tag === "Left")
      yield* store.reserve("run r2", 1, 0.6)
      yield* store.settle(a, 0.25)
      yield* store.settle(a, 0.25)
      assert.strictEqual(yield* store.committed("run r1"), 0.25)
      const b = yield* store.reserve("run r1", 1, 0.6)
      yield* store.settle(b, 0)
      assert.strictEqual(yield* store.committed("run r1"), 0.25)
      assert.strictEqual(yield* store.committed("run r2"), 0.6)
      assert.strictEqual(yield* store.committed("run r3"), 0)
    }).pipe(Effect.provide(BudgetStore.layer)))
})
