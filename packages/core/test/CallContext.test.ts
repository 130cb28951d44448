import { assert, describe, it } from "@effect/vitest"
import { CallContext } from "@aixfx/core"
import { Context, Effect } from "effect"

describe("CallContext.withPattern", () => {
  it.effect("appends the pattern to the path, and hands out the same context again for the same context", () =>
    Effect.gen(function* () {
      const inPattern = CallContext.withPattern("team")
      const inside = inPattern(Effect.context<never>())
      const first = yield* inside
      const again = yield* inside
      assert.strictEqual(first, again)
      assert.deepStrictEqual(Context.get(first, CallContext.Current).patternPath, ["team"])

      // Another context in: a context of its own, made from it.
      const elsewhere = yield* inside.pipe(CallContext.withRun("run-2"))
      assert.notStrictEqual(elsewhere, first)
      assert.deepStrictEqual(Context.get(elsewhere, CallContext.Current), {
        ...CallContext.empty,
        runId: "run-2",
        workflow: undefined,
        patternPath: ["team"]
      })
      assert.deepStrictEqual(Context.get(yield* inside.pipe(CallContext.withPattern("outer")), CallContext.Current).patternPath, ["outer", "team"])
    }))
})
