import { assert, describe, it } from "@effect/vitest"
import { Agent } from "@aixfx/core"
import { Effect } from "effect"

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
