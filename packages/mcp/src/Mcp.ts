/**
 * Agents and workflows served as the tools of an MCP server (`Mcp.serve`), over stdio or streamable
 * HTTP on 127.0.0.1. A `notifications/cancelled` interrupts the run (its finalizers run); the run's
 * `DistributedRuntime.progress` events become `notifications/progress` when the caller asked for
 * them; a typed failure comes back as an `isError` result naming the error.
 */
import { AgentRuntime, DistributedRuntime, type Json, Message, Workflow } from "@aixfx/core"
import { Server } from "@modelcontextprotocol/sdk/server/index.js"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  isInitializeRequest,
  ListToolsRequestSchema,
  McpError
} from "@modelcontextprotocol/sdk/types.js"
import { randomUUID } from "node:crypto"
import * as NodeHttp from "node:http"
import type { Readable, Writable } from "node:stream"
import { Cause, Deferred, Effect, Exit, JSONSchema, Layer, Option, Runtime, Schema, type Scope } from "effect"
import { McpServeError } from "./McpError.js"

/** A failure a served tool reports to the caller: its tag and message. */
export interface ToolFailure {
  readonly _tag: string
  readonly message: string
}

/** One tool of the server. */
export interface Tool<R = never> {
  readonly name: string
  readonly description: string
  /** The arguments' JSON Schema (an object schema), as `tools/list` shows it. */
  readonly inputSchema: Readonly<Record<string, unknown>>
  /** Runs with the arguments as the caller sent them (each tool decodes its own). */
  readonly run: (args: unknown) => Effect.Effect<string | Json.JsonValue, ToolFailure, R>
}

/** The arguments did not match the tool's schema. */
export class InvalidToolArguments extends Schema.TaggedError<InvalidToolArguments>()("InvalidToolArguments", {
  tool: Schema.String,
  message: Schema.String
}) {}

const objectSchema = (schema: Schema.Schema<any, any>): Record<string, unknown> => {
  const { $schema: _marker, ...rest } = JSONSchema.make(schema) as unknown as Record<string, unknown>
  return rest
}

const decodeArgs = <A, I>(tool: string, schema: Schema.Schema<A, I>) => (args: unknown) =>
  Effect.mapError(
    Schema.decodeUnknown(schema)(args ?? {}),
    (e) => new InvalidToolArguments({ tool, message: `Arguments for tool "${tool}" are invalid: ${e.message}` })
  )

/** A workflow as a tool: its input decoded with `input`, each call one `Workflow.run(name)`. */
export const workflow = <A, I, E extends ToolFailure, R>(options: {
  readonly name: string
  readonly description: string
  readonly input: Schema.Schema<A, I>
  readonly run: (input: A) => Effect.Effect<string | Json.JsonValue, E, R>
}): Tool<R> => ({
  name: options.name,
  description: options.description,
  inputSchema: objectSchema(options.input),
  run: (args) => Effect.flatMap(decodeArgs(options.name, options.input)(args), (input) => Workflow.run(options.name)(options.run(input)))
})

const PlainInput = Schema.Struct({ input: Schema.String.annotations({ description: "The message for the agent" }) })

/**
 * An agent of the `AgentRuntime` as a tool. Without `input` the tool takes `{ input: string }`, the
 * message's payload; with it, the arguments are checked against `input` and sent as JSON.
 */
export const agent = <A, I>(
  name: string,
  options: { readonly description?: string; readonly input?: Schema.Schema<A, I> } = {}
): Tool<AgentRuntime.AgentRuntime> => {
  const payloadOf: (args: unknown) => Effect.Effect<string, InvalidToolArguments> = options.input === undefined
    ? (args) => Effect.map(decodeArgs(name, PlainInput)(args), (a) => a.input)
    : (args) => Effect.map(decodeArgs(name, Schema.encodedSchema(options.input!))(args), (a) => JSON.stringify(a))
  return {
    name,
    description: options.description ?? `The "${name}" agent`,
    inputSchema: objectSchema(options.input ?? PlainInput),
    run: (args) =>
      Effect.flatMap(payloadOf(args), (payload) =>
        Effect.map(AgentRuntime.call(name, Message.make({ type: "user", payload })), (reply): string => reply.payload))
  }
}

/** Every agent registered in the runtime (or those named), each as a `{ input: string }` tool. */
export const registeredAgents = (names?: ReadonlyArray<string>) =>
  Effect.map(AgentRuntime.list, (infos) =>
    infos.filter((info) => names === undefined || names.includes(info.name)).map((info) => agent(info.name, { description: info.description })))

export type Transport =
  | { readonly _tag: "Stdio"; readonly stdin?: Readable; readonly stdout?: Writable }
  | { readonly _tag: "Http"; readonly port?: number; readonly path?: string }

/** The process's stdin/stdout (or the given streams). */
export const stdio = (streams: { readonly stdin?: Readable; readonly stdout?: Writable } = {}): Transport => ({ _tag: "Stdio", ...streams })

/** Streamable HTTP on 127.0.0.1 (port 0: any free one), stateful sessions, at `path` (default `/mcp`). */
export const http = (options: { readonly port?: number; readonly path?: string } = {}): Transport => ({ _tag: "Http", ...options })

export interface ServeOptions<R> {
  readonly name: string
  readonly version?: string
  readonly tools: ReadonlyArray<Tool<R>>
  readonly transport: Transport
}

export interface Served {
  /** The endpoint (`http://127.0.0.1:<port>/mcp`) when serving over HTTP. */
  readonly url: string | undefined
  /** Completes when a stdio client disconnects (over HTTP: when the scope closes). */
  readonly closed: Effect.Effect<void>
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/

const textResult = (value: string | Json.JsonValue): CallToolResult =>
  typeof value === "string"
    ? { content: [{ type: "text", text: value }] }
    : {
      content: [{ type: "text", text: JSON.stringify(value) }],
      ...(typeof value === "object" && value !== null && !Array.isArray(value) ? { structuredContent: value as Record<string, unknown> } : {})
    }

const failureResult = (tool: string, cause: Cause.Cause<ToolFailure>): CallToolResult => {
  const failure = Cause.failureOption(cause)
  const error = Option.isSome(failure)
    ? { _tag: failure.value._tag, message: failure.value.message }
    : { _tag: "Defect", message: `Tool "${tool}" failed unexpectedly: ${Cause.pretty(cause).split("\n")[0]}` }
  return { isError: true, content: [{ type: "text", text: `${error._tag}: ${error.message}` }], structuredContent: { error } }
}

/** One low-level MCP server (one per HTTP session) whose handlers run the tools on `runtime`. */
const makeServer = <R>(options: ServeOptions<R>, runtime: Runtime.Runtime<R>) => {
  const tools = new Map(options.tools.map((t) => [t.name, t]))
  const server = new Server({ name: options.name, version: options.version ?? "0.1.0" }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: options.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema as { type: "object" } }))
  }))
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = tools.get(request.params.name)
    if (tool === undefined) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool "${request.params.name}" (this server offers: ${[...tools.keys()].join(", ")})`)
    }
    const progressToken = extra._meta?.progressToken
    let progress = 0
    const forwardProgress = DistributedRuntime.withEvents((event) =>
      event._tag === "Progress" && progressToken !== undefined
        ? Effect.promise(() =>
          extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: ++progress, message: event.detail === "" ? event.stage : `${event.stage}: ${event.detail}` }
          }).catch(() => undefined)
        )
        : Effect.void
    )
    // The signal aborts on notifications/cancelled: the run is interrupted and its finalizers run.
    const exit = await Runtime.runPromiseExit(runtime)(forwardProgress(tool.run(request.params.arguments)), { signal: extra.signal })
    if (Exit.isSuccess(exit)) return textResult(exit.value)
    if (Cause.isInterruptedOnly(exit.cause)) throw new McpError(ErrorCode.RequestTimeout, `Tool "${tool.name}" was cancelled`)
    return failureResult(tool.name, exit.cause)
  })
  return server
}

const serveStdio = <R>(options: ServeOptions<R>, transport: Extract<Transport, { _tag: "Stdio" }>, runtime: Runtime.Runtime<R>) =>
  Effect.gen(function*() {
    const closed = yield* Deferred.make<void>()
    const server = makeServer(options, runtime)
    server.onclose = () => Deferred.unsafeDone(closed, Exit.void)
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => server.connect(new StdioServerTransport(transport.stdin, transport.stdout)),
        catch: (e) => new McpServeError({ transport: "stdio", message: `MCP server "${options.name}" could not start on stdio: ${String(e)}` })
      }),
      () => Effect.promise(() => server.close())
    )
    return { url: undefined, closed: Deferred.await(closed) } satisfies Served
  })

const readBody = (req: NodeHttp.IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const jsonRpcError = (res: NodeHttp.ServerResponse, status: number, code: number, message: string) => {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }))
}

const serveHttp = <R>(options: ServeOptions<R>, transport: Extract<Transport, { _tag: "Http" }>, runtime: Runtime.Runtime<R>) =>
  Effect.gen(function*() {
    const path = transport.path ?? "/mcp"
    const sessions = new Map<string, { readonly transport: StreamableHTTPServerTransport; readonly server: Server }>()
    let allowedHosts: Array<string> = []

    const handle = async (req: NodeHttp.IncomingMessage, res: NodeHttp.ServerResponse) => {
      if (new URL(req.url ?? "/", "http://127.0.0.1").pathname !== path) return jsonRpcError(res, 404, ErrorCode.InvalidRequest, `Not found: the endpoint is ${path}`)
      const sessionId = req.headers["mcp-session-id"]
      if (typeof sessionId === "string") {
        const session = sessions.get(sessionId)
        if (session === undefined) return jsonRpcError(res, 404, ErrorCode.InvalidRequest, `Unknown session "${sessionId}"`)
        return session.transport.handleRequest(req, res)
      }
      if (req.method !== "POST") return jsonRpcError(res, 400, ErrorCode.InvalidRequest, "No session: POST an initialize request first")
      let body: unknown
      try {
        body = JSON.parse(await readBody(req))
      } catch {
        return jsonRpcError(res, 400, ErrorCode.ParseError, "Parse error: the body is not JSON")
      }
      if (!isInitializeRequest(body)) return jsonRpcError(res, 400, ErrorCode.InvalidRequest, "No session: the first request must be initialize")
      const sessionTransport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableDnsRebindingProtection: true,
        allowedHosts,
        onsessioninitialized: (id) => void sessions.set(id, { transport: sessionTransport, server })
      })
      sessionTransport.onclose = () => {
        if (sessionTransport.sessionId !== undefined) sessions.delete(sessionTransport.sessionId)
      }
      const server = makeServer(options, runtime)
      await server.connect(sessionTransport)
      await sessionTransport.handleRequest(req, res, body)
    }

    const httpServer = NodeHttp.createServer((req, res) => {
      handle(req, res).catch((e) => {
        if (!res.headersSent) jsonRpcError(res, 500, ErrorCode.InternalError, `Internal error: ${String(e)}`)
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.async<number, McpServeError>((resume) => {
        httpServer.once("error", (e) =>
          resume(Effect.fail(new McpServeError({ transport: "http", message: `MCP server "${options.name}" could not listen on 127.0.0.1:${transport.port ?? 0}: ${e.message}` }))))
        httpServer.listen(transport.port ?? 0, "127.0.0.1", () => resume(Effect.succeed((httpServer.address() as { port: number }).port)))
      }),
      () =>
        Effect.promise(async () => {
          await Promise.all([...sessions.values()].map((s) => s.server.close().catch(() => undefined)))
          httpServer.closeAllConnections()
          await new Promise((resolve) => httpServer.close(resolve))
        })
    )
    allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`]
    return { url: `http://127.0.0.1:${port}${path}`, closed: Effect.never } satisfies Served
  })

/**
 * Serves `tools` as an MCP server until the scope closes. The tools' requirements come from the
 * context of `serve`. Fails with `McpServeError` for a bad tool name, a duplicate, or a transport
 * that cannot start.
 */
export const serve = <R>(options: ServeOptions<R>): Effect.Effect<Served, McpServeError, Scope.Scope | R> =>
  Effect.gen(function*() {
    const transportName = options.transport._tag === "Stdio" ? "stdio" : "http"
    const seen = new Set<string>()
    for (const tool of options.tools) {
      const problem = !TOOL_NAME.test(tool.name) ? "is not a valid MCP tool name ([A-Za-z0-9_.-], 1-128)" : seen.has(tool.name) ? "is offered twice" : undefined
      if (problem !== undefined) return yield* new McpServeError({ transport: transportName, message: `MCP server "${options.name}": tool "${tool.name}" ${problem}` })
      seen.add(tool.name)
    }
    const runtime = yield* Effect.runtime<R>()
    return options.transport._tag === "Stdio"
      ? yield* serveStdio(options, options.transport, runtime)
      : yield* serveHttp(options, options.transport, runtime)
  })

/** What `aixfx-mcp --workflow <module>` expects as the module's default export. */
export interface App<R> {
  readonly name: string
  readonly version?: string
  /** The tools, or an effect building them (e.g. `registeredAgents()`) with the layer's services. */
  readonly tools: ReadonlyArray<Tool<R>> | Effect.Effect<ReadonlyArray<Tool<R>>, never, R>
  /** Provides what the tools need (a model, an `AgentRuntime` with the agents registered, ...). */
  readonly layer: Layer.Layer<R, unknown>
}

/** Declares an app for `aixfx-mcp` (types only: it returns `app`). */
export const app = <R>(app: App<R>): App<R> => app

/** Serves `app` until a stdio client disconnects (or forever over HTTP); what the bin runs. */
export const serveApp = <R>(app: App<R>, transport: Transport): Effect.Effect<Served, unknown> =>
  Effect.scoped(
    Effect.gen(function*() {
      const tools = Effect.isEffect(app.tools) ? yield* app.tools : app.tools
      const served = yield* serve({ name: app.name, ...(app.version === undefined ? {} : { version: app.version }), tools, transport })
      if (served.url !== undefined) yield* Effect.logInfo(`MCP server "${app.name}" serving on ${served.url}`)
      yield* served.closed
      return served
    }).pipe(Effect.provide(Layer.orDie(app.layer)))
  )
