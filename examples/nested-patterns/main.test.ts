import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { nestedPatterns } from "./main.js"

describe("nested-patterns", () => {
  it("runs Hierarchical → Reflection → RAG offline, each team's section built from the handbook", async () => {
    const result = await runExample("nested-patterns", nestedPatterns)
    const trace = result.metadata["trace"] as { kind: string; assignments: ReadonlyArray<{ team: string }> }
    expect(trace.kind).toBe("hierarchical")
    expect(trace.assignments.map((a) => a.team)).toEqual(["costs", "quality"])
    expect(result.payload).toMatch(/## costs\n.*\[router-2\]/)
    expect(result.payload).toMatch(/## quality\n.*\[reflection-1\]/)
  })
})
