import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { mcpTools } from "./main.js"

describe("mcp-tools", () => {
  it("answers from the files the filesystem MCP server reads, offline", async () => {
    const answer = await runExample("mcp-tools", mcpTools)
    expect(answer).toContain("The MCP client ships on Friday.")
    expect(answer).toContain("the client restarts it on the next call")
  }, 120_000)
})
