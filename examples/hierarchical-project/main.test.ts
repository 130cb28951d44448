import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { hierarchicalProject } from "./main.js"

describe("hierarchical-project", () => {
  it("plans for every team, runs them and synthesises offline", async () => {
    const result = await runExample("hierarchical-project", hierarchicalProject)
    const trace = result.metadata["trace"] as { assignments: ReadonlyArray<{ team: string; workers: ReadonlyArray<string> }> }
    expect(trace.assignments.map((a) => a.team)).toEqual(["research", "engineering", "docs"])
    expect(trace.assignments[1]!.workers).toEqual(["backend-dev", "frontend-dev"])
    expect(result.payload).toContain("export")
  })
})
