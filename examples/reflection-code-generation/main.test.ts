import { Reflection } from "@aixfx/patterns"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { reflectionCodeGeneration, task } from "./main.js"

describe("reflection-code-generation", () => {
  it("revises the draft offline with what the critique found missing, and returns the best-scoring one", async () => {
    const result = await runExample("reflection-code-generation", reflectionCodeGeneration)
    const outcome = Effect.runSync(Reflection.outcome(result))
    expect(outcome.scores.length).toBeGreaterThanOrEqual(2)
    expect(outcome.scores[1]!).toBeGreaterThan(outcome.scores[0]!)
    expect(outcome.bestScore).toBe(Math.max(...outcome.scores))
    expect(outcome.scores[outcome.bestIteration - 1]).toBe(outcome.bestScore)
    // The first critique names what the draft lacks; the best draft has it, as code, not the task restated.
    expect(outcome.iterations[0]!.critiques[0]!.feedback).toContain("jitter")
    expect(result.payload).not.toContain(task)
    expect(result.payload).toContain("export async function retryWithBackoff")
    expect(result.payload).toContain("// exponential backoff")
    expect(result.payload).toContain("// jitter spreads the retries")
  })
})
