import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { distributed } from "./main.js"

describe("distributed example", () => {
  it("runs Hierarchical and Reflection with their agents on two node processes", async () => {
    const { project, review } = await runExample("distributed", distributed)
    const plan = project.metadata["trace"] as { assignments: ReadonlyArray<{ team: string }> }
    expect(plan.assignments.map((a) => a.team)).toEqual(expect.arrayContaining(["research", "engineering", "docs"]))
    expect(project.payload.length).toBeGreaterThan(0)
    expect((review.metadata["trace"] as { scores: ReadonlyArray<number> }).scores.length).toBeGreaterThan(0)
    expect(review.payload.length).toBeGreaterThan(0)
  }, 180_000)
})
