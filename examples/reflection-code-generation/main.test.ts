import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { reflectionCodeGeneration } from "./main.js"

describe("reflection-code-generation", () => {
  it("revises the draft offline and returns the best-scoring one", async () => {
    const result = await runExample("reflection-code-generation", reflectionCodeGeneration)
    const trace = result.metadata["trace"] as { scores: ReadonlyArray<number>; bestIteration: number; bestScore: number }
    expect(trace.scores.length).toBeGreaterThanOrEqual(2)
    expect(trace.bestScore).toBe(Math.max(...trace.scores))
    expect(trace.scores[trace.bestIteration - 1]).toBe(trace.bestScore)
    expect(result.payload).toContain("backoff")
  })
})
