/**
 * A connection to one MCP server (a spawned stdio process or a streamable HTTP endpoint) whose
 * tools `Agent.llm` can call. The tool list follows the server's `tools/list_changed`; calls are
 * validated against the tool's JSON Schema, traced, and fail with the typed errors of `McpError`.
 * The connection closes with its scope; a server that went away is restarted on the next call
 * (or reported as `McpServerGone` when `restart` is off or the restart fails).
 */
import { Agent, type Json, Traced } from "@aixfx/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js"
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv"
import { Context, Duration, Effect, Layer, Ref, Runtime, Schema, type Scope, SynchronizedRef } from "effect"
import { contentText } from "./internal/content.js"
import {
  type McpCallError,
  McpConnectError,
  McpInvalidArguments,
  McpServerGone,
  McpTimeout,
  McpToolError,
  McpUnknownTool
} from "./McpError.js"

export type Transport =
  | {
    readonly _tag: "Stdio"
    readonly command: string
    readonly args: ReadonlyArray<string>
    /** Added to the SDK's default environment (HOME, PATH, USER, ...); nothing else is inherited. */
    readonly env?: Readonly<Record<string, string>>
    readonly cwd?: string
  }
  | { readonly _tag: "Http"; readonly url: string; readonly headers?: Readonly<Record<string, string>> }

/** A server started as a child process, spoken to over its stdin/stdout. */
export const stdio = (
  command: string,
  args: ReadonlyArray<string> = [],
  options: { readonly env?: Readonly<Record<string, string>>; readonly cwd?: string } = {}
): Transport => ({ _tag: "Stdio", command, args, ...options })

/** A server at a streamable HTTP endpoint (`http://127.0.0.1:3001/mcp`). */
export const http = (url: string, options: { readonly headers?: Readonly<Record<string, string>> } = {}): Transport => ({
  _tag: "Http",
  url,
  ...options
})

export interface Options {
  /** Names the server in spans, errors and logs. */
  readonly name: string
  readonly transport: Transport
  /** Only these tools are offered (by MCP name). */
  readonly allow?: ReadonlyArray<string>
  /** These tools are never offered (applied after `allow`). */
  readonly deny?: ReadonlyArray<string>
  /** Per call, unless the call says otherwise, and for the handshake (default 60 s). */
  readonly timeout?: Duration.DurationInput
  /** Start the server again (or reconnect) on the next call after it went away (default true). */
  readonly restart?: boolean
  /** Put before each tool's name as the model sees it (`fs_` → `fs_read_text_file`). */
  readonly toolPrefix?: string
  /**
   * Tools whose calls wait for a human approval (`true`: all of them): set as `needsApproval` on the
   * `Agent.llm` tools, so the call waits for `Agent.CurrentToolApproval` (durable runs' approvals).
   */
  readonly needsApproval?: boolean | ReadonlyArray<string>
}

export interface ToolInfo {
  /** The tool's MCP name. */
  readonly name: string
  readonly description: string
  /** The tool's input JSON Schema as the server sent it. */
  readonly inputSchema: Readonly<Record<string, unknown>>
  readonly needsApproval: boolean
}

export interface ToolResult {
  /** The text parts of the result, one per line (other parts are summarised, e.g. `[image image/png]`). */
  readonly text: string
  readonly structuredContent?: Readonly<Record<string, unknown>>
  /** The result's content parts as the server sent them. */
  readonly content: ReadonlyArray<unknown>
}

export interface Progress {
  readonly progress: number
  readonly total?: number | undefined
  readonly message?: string | undefined
}

export interface CallOptions {
  readonly timeout?: Duration.DurationInput
  readonly onProgress?: (progress: Progress) => void
}

export interface Service {
  /** The server's name (from the options). */
  readonly server: string
  /** The tools the server offers now, after the allow/deny filters. */
  readonly tools: Effect.Effect<ReadonlyArray<ToolInfo>>
  /** Calls a tool; an `isError` result fails with `McpToolError`. Interrupting the call cancels it on the server. */
  readonly callTool: (tool: string, args: unknown, options?: CallOptions) => Effect.Effect<ToolResult, McpCallError>
  /**
   * The tools as `Agent.llm` tools (a snapshot: `McpClient.llm` re-reads them on every execution).
   * Their JSON Schemas go to the provider unchanged; the model reads the result's text (or its
   * structured content when it has no text); any failure reaches it as a tool result
   * `{ error, message }` it can recover from.
   */
  readonly agentTools: Effect.Effect<ReadonlyArray<Agent.AgentTool>>
  /** The PID of the running stdio server (undefined over HTTP or while none runs). */
  readonly pid: Effect.Effect<number | undefined>
}

export class McpClient extends Context.Tag("@aixfx/mcp/McpClient")<McpClient, Service>() {}

interface Connection {
  readonly client: Client
  readonly transport: StdioClientTransport | StreamableHTTPClientTransport
  /** Set when the server went away (the transport closed, or an HTTP server stopped answering). */
  gone: boolean
  /** Settles, with the reason, when the server goes away: calls in flight race it. */
  readonly lost: Promise<string>
  readonly markLost: (reason: string) => void
  /** The last stderr output of a stdio server, for the report when it dies. */
  stderrTail: string
}

const DEFAULT_TIMEOUT = Duration.seconds(60)
const STDERR_TAIL = 2_000
const CLIENT_INFO = { name: "aixfx", version: "0.1.0" }

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const openConnection = (options: Options, onToolsChanged: (connection: Connection) => void) =>
  Effect.tryPromise({
    try: async () => {
      const t = options.transport
      const transport = t._tag === "Stdio"
        ? new StdioClientTransport({
          command: t.command,
          args: [...t.args],
          env: { ...getDefaultEnvironment(), ...t.env },
          stderr: "pipe",
          ...(t.cwd === undefined ? {} : { cwd: t.cwd })
        })
        : new StreamableHTTPClientTransport(new URL(t.url), t.headers === undefined ? {} : { requestInit: { headers: { ...t.headers } } })
      const client = new Client(CLIENT_INFO, { capabilities: {} })
      let settleLost: (reason: string) => void = () => undefined
      const lost = new Promise<string>((resolve) => (settleLost = resolve))
      const connection: Connection = {
        client,
        transport,
        gone: false,
        stderrTail: "",
        lost,
        markLost: (reason) => {
          connection.gone = true
          settleLost(reason)
        }
      }
      if (transport instanceof StdioClientTransport) {
        transport.stderr?.on("data", (chunk: Buffer) => {
          connection.stderrTail = (connection.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL)
        })
      }
      client.onclose = () => connection.markLost("the connection closed")
      // A stopped HTTP server only shows as a stream the transport cannot reopen; a pending call would otherwise wait for its timeout.
      client.onerror = (error) => {
        if (/Maximum reconnection attempts|Failed to reconnect/.test(error.message)) connection.markLost(error.message)
      }
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => onToolsChanged(connection))
      await client.connect(transport, { timeout: Duration.toMillis(options.timeout ?? DEFAULT_TIMEOUT) })
      return connection
    },
    catch: (e) => new McpConnectError({ server: options.name, message: `MCP server "${options.name}" could not be reached: ${errorMessage(e)}` })
  })

const closeConnection = (connection: Connection) =>
  Effect.promise(async () => {
    if (connection.transport instanceof StreamableHTTPClientTransport) {
      await connection.transport.terminateSession().catch(() => undefined)
    }
    await connection.client.close().catch(() => undefined)
  })

const listAllTools = (connection: Connection, server: string) =>
  Effect.tryPromise({
    try: async () => {
      const tools = []
      let cursor: string | undefined
      do {
        const page = await connection.client.listTools(cursor === undefined ? {} : { cursor })
        tools.push(...page.tools)
        cursor = page.nextCursor
      } while (cursor !== undefined)
      return tools
    },
    catch: (e) => new McpConnectError({ server, message: `MCP server "${server}" did not list its tools: ${errorMessage(e)}` })
  })

/** The arguments' validator, or undefined when the schema is one the validator cannot compile (the server still validates). */
const compileValidator = (schema: Readonly<Record<string, unknown>>) => {
  try {
    return new AjvJsonSchemaValidator().getValidator(schema as never)
  } catch {
    return undefined
  }
}

/**
 * Connects to the server, lists its tools and keeps the list current. The connection (and a stdio
 * server's process) closes with the scope.
 */
export const make = (options: Options): Effect.Effect<Service, McpConnectError, Scope.Scope> =>
  Effect.gen(function*() {
    const server = options.name
    const offered = (name: string) =>
      (options.allow === undefined || options.allow.includes(name)) && !(options.deny ?? []).includes(name)
    const needsApproval = (name: string) =>
      options.needsApproval === true || (Array.isArray(options.needsApproval) && options.needsApproval.includes(name))

    const tools = yield* Ref.make<ReadonlyArray<ToolInfo>>([])
    const validators = new Map<string, ReturnType<typeof compileValidator>>()
    const runtime = yield* Effect.runtime<never>()

    const refreshTools = (connection: Connection) =>
      Effect.flatMap(listAllTools(connection, server), (listed) => {
        validators.clear()
        return Ref.set(
          tools,
          listed.filter((t) => offered(t.name)).map((t) => ({
            name: t.name,
            description: t.description ?? t.title ?? t.name,
            inputSchema: t.inputSchema,
            needsApproval: needsApproval(t.name)
          }))
        )
      })
    // A failed refresh keeps the previous list: the next call still reports what went wrong.
    const onToolsChanged = (connection: Connection) => Runtime.runFork(runtime)(Effect.ignore(refreshTools(connection)))

    // A server that connects but cannot list its tools is closed again, not left running.
    const open = Effect.tap(openConnection(options, onToolsChanged), (c) => Effect.tapError(refreshTools(c), () => closeConnection(c)))
    const current = yield* SynchronizedRef.make<Connection>(yield* open)
    yield* Effect.addFinalizer(() => Effect.flatMap(SynchronizedRef.get(current), closeConnection))

    const gone = (connection: Connection, tool: string | undefined, message: string) =>
      new McpServerGone({
        server,
        ...(tool === undefined ? {} : { tool }),
        message: `MCP server "${server}" went away${tool === undefined ? "" : ` during a call of "${tool}"`}: ${message}${
          connection.stderrTail === "" ? "" : ` (its last output: ${connection.stderrTail.trim().slice(-500)})`
        }`
      })

    /** The live connection; a server that went away is started again (once per call) when `restart` allows. */
    const connection = (tool: string) =>
      SynchronizedRef.modifyEffect(current, (conn) => {
        if (!conn.gone) return Effect.succeed([conn, conn] as const)
        if (options.restart === false) return Effect.fail(gone(conn, tool, "the connection is closed and restart is off"))
        return Effect.zipRight(closeConnection(conn), open).pipe(
          Effect.mapError((e) => gone(conn, tool, `it could not be restarted: ${e.message}`)),
          Effect.map((fresh) => [fresh, fresh] as const)
        )
      })

    const toCallError = (conn: Connection, tool: string, timeoutMs: number) => (e: unknown): McpCallError => {
      if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) {
        // Aborts come back with this code too, but an interrupted call never reaches this mapping.
        return new McpTimeout({ server, tool, timeoutMs, message: `MCP tool "${tool}" on server "${server}" did not answer within ${timeoutMs} ms` })
      }
      if (conn.gone || (e instanceof McpError && e.code === ErrorCode.ConnectionClosed) || errorMessage(e) === "Not connected") {
        return gone(conn, tool, errorMessage(e))
      }
      return new McpToolError({ server, tool, message: `MCP tool "${tool}" on server "${server}" failed: ${errorMessage(e)}` })
    }

    const validate = (info: ToolInfo, args: unknown) => {
      if (typeof args !== "object" || args === null || Array.isArray(args)) {
        return Effect.fail(
          new McpInvalidArguments({ server, tool: info.name, message: `Arguments for MCP tool "${info.name}" on server "${server}" must be a JSON object` })
        )
      }
      if (!validators.has(info.name)) validators.set(info.name, compileValidator(info.inputSchema))
      const result = validators.get(info.name)?.(args)
      return result === undefined || result.valid
        ? Effect.succeed(args as Record<string, unknown>)
        : Effect.fail(
          new McpInvalidArguments({
            server,
            tool: info.name,
            message: `Arguments for MCP tool "${info.name}" on server "${server}" are invalid: ${result.errorMessage}`
          })
        )
    }

    const callTool = (tool: string, args: unknown, callOptions: CallOptions = {}): Effect.Effect<ToolResult, McpCallError> =>
      Effect.gen(function*() {
        const info = (yield* Ref.get(tools)).find((t) => t.name === tool)
        if (info === undefined) {
          const names = (yield* Ref.get(tools)).map((t) => t.name).join(", ")
          return yield* new McpUnknownTool({ server, tool, message: `MCP server "${server}" offers no tool "${tool}" (it offers: ${names})` })
        }
        const validArgs = yield* validate(info, args)
        const conn = yield* connection(tool)
        const timeoutMs = Duration.toMillis(callOptions.timeout ?? options.timeout ?? DEFAULT_TIMEOUT)
        const onProgress = callOptions.onProgress
        const call = Effect.tryPromise({
          try: (signal) =>
            conn.client.callTool({ name: tool, arguments: validArgs }, undefined, {
              signal,
              timeout: timeoutMs,
              ...(onProgress === undefined ? {} : { onprogress: (p) => onProgress(p), resetTimeoutOnProgress: false })
            }),
          catch: toCallError(conn, tool, timeoutMs)
        })
        const serverLost = Effect.flatMap(Effect.promise(() => conn.lost), (reason) => Effect.fail(gone(conn, tool, reason)))
        const result = yield* Effect.raceFirst(call, serverLost)
        const content = (result.content ?? []) as ReadonlyArray<unknown>
        const text = contentText(content)
        if (result.isError === true) {
          return yield* new McpToolError({ server, tool, message: `MCP tool "${tool}" on server "${server}" reported an error: ${text}` })
        }
        const structured = result.structuredContent as Record<string, unknown> | undefined
        return { text, content, ...(structured === undefined ? {} : { structuredContent: structured }) }
      }).pipe(
        Traced.span(`tools/call ${tool}`, {
          kind: "client",
          attributes: { "mcp.method.name": "tools/call", "gen_ai.tool.name": tool, "aixfx.mcp.server": server }
        })
      )

    // Only on a span aixfx made (its `execute_tool` span): without a tracer there is none, and a caller's span is not ours to annotate.
    const annotateToolSpan = (attributes: Record<string, string>) =>
      Effect.withFiberRuntime((fiber) => (Traced.isTracing(fiber) ? Effect.annotateCurrentSpan(attributes) : Effect.void))

    const toAgentTool = (info: ToolInfo): Agent.AgentTool => ({
      name: `${options.toolPrefix ?? ""}${info.name}`,
      description: info.description,
      // The server's JSON Schema, handed to the provider as it is; `callTool` validates against it.
      parameters: Schema.Unknown.annotations({ jsonSchema: info.inputSchema }),
      handler: (args) =>
        Effect.zipRight(
          annotateToolSpan({ "aixfx.mcp.server": server, "aixfx.mcp.tool": info.name }),
          callTool(info.name, args).pipe(
            // The text (servers put structured results there too, serialised); the structured content when there is no text.
            Effect.map((r): Json.JsonValue => (r.text === "" && r.structuredContent !== undefined ? r.structuredContent as Json.JsonValue : r.text)),
            Effect.catchAll((e) =>
              Effect.as(annotateToolSpan({ "error.type": e._tag }), { error: e._tag, message: e.message } as Json.JsonValue)
            )
          )
        ),
      // Agent.llm asks `Agent.CurrentToolApproval` (durable runs provide it) before such a call runs.
      ...(info.needsApproval ? { needsApproval: true } : {})
    })

    return {
      server,
      tools: Ref.get(tools),
      callTool,
      agentTools: Effect.map(Ref.get(tools), (list) => list.map(toAgentTool)),
      pid: Effect.map(SynchronizedRef.get(current), (c) =>
        c.transport instanceof StdioClientTransport && !c.gone ? c.transport.pid ?? undefined : undefined)
    }
  })

/** `make` as a layer providing `McpClient`. */
export const layer = (options: Options): Layer.Layer<McpClient, McpConnectError> => Layer.scoped(McpClient, make(options))

/**
 * `Agent.llm` with the tools of MCP servers beside its own: the servers' current tools are read on
 * every execution, so a `tools/list_changed` takes effect on the next one.
 */
export const llm = (options: Agent.LlmOptions & { readonly mcp: ReadonlyArray<Service> }): ReturnType<typeof Agent.llm> => {
  const { mcp, ...llmOptions } = options
  const agent = Agent.llm(llmOptions)
  return {
    ...agent,
    execute: (input) =>
      Effect.flatMap(Effect.forEach(mcp, (client) => client.agentTools), (lists) =>
        Agent.llm({ ...llmOptions, tools: [...(llmOptions.tools ?? []), ...lists.flat()] }).execute(input))
  }
}
