import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { parallelResearch } from "./main.js"

describe("parallel-research", () => {
  it("collects every researcher's findings, keyed by researcher", async () => {
    const result = await runExample("parallel-research", parallelResearch)
    const findings = JSON.parse(result.payload) as Record<string, string>
    expect(Object.keys(findings)).toEqual(["effect-docs", "grpc-docs", "provider-docs"])
    expect(findings["grpc-docs"]).toContain("deadline")
    expect(findings["provider-docs"]).toContain("retry-after")
  })
})
