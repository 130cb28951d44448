import { assert, describe, it } from "@effect/vitest"
import { Cause, Data, FiberId } from "effect"
import { AgentNotFound } from "../src/AgentError.js"
import * as Failure from "../src/Failure.js"

class Wrapped extends Data.TaggedError("Wrapped")<{ readonly message: string; readonly cause: unknown }> {}

describe("Failure.describe", () => {
  it("a tagged error is one line: its tag and message", () => {
    const text = Failure.describe(Cause.fail(AgentNotFound.of("writer", ["researcher"])))
    assert.strictEqual(text, 'AgentNotFound: No agent named "writer"; registered agents: researcher')
  })

  it("an error's own cause follows on a second line", () => {
    const text = Failure.describe(Cause.fail(new Wrapped({ message: "could not load the index", cause: new Error("ENOENT: docs/") })))
    assert.strictEqual(text, "Wrapped: could not load the index\n  cause: Error: ENOENT: docs/")
  })

  it("a defect names itself and where it was thrown", () => {
    const lines = Failure.describe(Cause.die(new TypeError("x is undefined"))).split("\n")
    assert.strictEqual(lines[0], "Defect: TypeError: x is undefined")
    assert.match(lines[1]!, /^ {2}at .*Failure\.test\.ts/)
    assert.strictEqual(lines.length, 2)
  })

  it("an interruption says so", () => {
    assert.strictEqual(Failure.describe(Cause.interrupt(FiberId.none)), "Interrupted")
  })
})
