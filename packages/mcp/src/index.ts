/**
 * @aixfx/mcp — the Model Context Protocol both ways: MCP servers' tools for `Agent.llm`
 * (`McpClient`), and agents and workflows served as MCP tools (`Mcp.serve`).
 */
export * as Mcp from "./Mcp.js"
export * as McpClient from "./McpClient.js"
export * from "./McpError.js"
