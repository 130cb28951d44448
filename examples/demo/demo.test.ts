import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { demo } from "./main.js"

describe("demo", () => {
  it("answers from the document offline", async () => {
    const answer = await runExample("demo", demo)
    expect(answer).toContain("cost ledger")
    expect(answer).toContain("Router")
  })
})
