/**
 * The typed failures of the MCP client and server. Each names the server (and tool) at fault; an
 * `Agent.llm` using MCP tools hands them to the model as a tool error it can recover from.
 */
import { Schema } from "effect"

/** The server could not be started or did not complete the MCP handshake. */
export class McpConnectError extends Schema.TaggedError<McpConnectError>()("McpConnectError", {
  server: Schema.String,
  message: Schema.String
}) {}

/** The server went away (its process exited, the connection closed) before answering. */
export class McpServerGone extends Schema.TaggedError<McpServerGone>()("McpServerGone", {
  server: Schema.String,
  tool: Schema.optional(Schema.String),
  message: Schema.String
}) {}

/** The tool ran and reported an error (`isError: true`), or the server answered with a protocol error. */
export class McpToolError extends Schema.TaggedError<McpToolError>()("McpToolError", {
  server: Schema.String,
  tool: Schema.String,
  message: Schema.String
}) {}

/** The tool did not answer within the call's timeout (the server was told to cancel). */
export class McpTimeout extends Schema.TaggedError<McpTimeout>()("McpTimeout", {
  server: Schema.String,
  tool: Schema.String,
  timeoutMs: Schema.Number,
  message: Schema.String
}) {}

/** The arguments are not JSON or fail the tool's input schema; nothing was sent to the server. */
export class McpInvalidArguments extends Schema.TaggedError<McpInvalidArguments>()("McpInvalidArguments", {
  server: Schema.String,
  tool: Schema.String,
  message: Schema.String
}) {}

/** The tool is not offered by the server, or is filtered out by the client's allow/deny lists. */
export class McpUnknownTool extends Schema.TaggedError<McpUnknownTool>()("McpUnknownTool", {
  server: Schema.String,
  tool: Schema.String,
  message: Schema.String
}) {}

/** How a tool call through `McpClient` can fail. */
export type McpCallError = McpServerGone | McpToolError | McpTimeout | McpInvalidArguments | McpUnknownTool | McpConnectError

/** `Mcp.serve` could not start: the port is taken, the transport failed, ... */
export class McpServeError extends Schema.TaggedError<McpServeError>()("McpServeError", {
  transport: Schema.String,
  message: Schema.String
}) {}
