import { Mcp } from "@aixfx/mcp"
import { assert, describe, it, vi } from "@effect/vitest"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer, type Scope } from "effect"
import * as Fixture from "./fixtures/app.js"

// Every test starts real server processes: on a loaded machine, starting one can take tens of seconds.
vi.setConfig({ testTimeout: 180_000 })

const binTs = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const appTs = fileURLToPath(new URL("fixtures/app.ts", import.meta.url))

/** The SDK's own client, closed with the scope. */
const connect = (transport: StdioClientTransport | StreamableHTTPClientTransport): Effect.Effect<Client, unknown, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise(async () => {
      const client = new Client({ name: "sdk-test-client", version: "1.0.0" })
      // A loaded machine can take tens of seconds to start a TypeScript server process.
      await client.connect(transport, { timeout: 120_000 })
      return client
    }),
    (client) =>
      Effect.promise(async () => {
        if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession().catch(() => undefined)
        await client.close()
      })
  )

const serveHttp = Effect.gen(function*() {
  // Built in the test's scope: the agents must live as long as the server serves.
  const context = yield* Layer.build(Fixture.layer)
  const tools = yield* Effect.provide(Effect.map(Mcp.registeredAgents(), (agents) => [...agents, Fixture.slow, Fixture.refuse]), context)
  const served = yield* Effect.provide(Mcp.serve({ name: "fixture-app", tools, transport: Mcp.http() }), context)
  return served.url!
})

const text = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? "").join("\n")

/** Calls `slow` and aborts at its first progress notification; resolves with the abort's rejection. */
const cancelSlowRun = (client: Client, steps: number) =>
  Effect.promise(() => {
    const controller = new AbortController()
    return client.callTool({ name: "slow", arguments: { steps } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort()
    }).then(() => "finished", (e: unknown) => e)
  })

describe("Mcp.serve over streamable HTTP, used by the SDK's client", () => {
  it.scopedLive("lists the agents and workflows with their input schemas and calls them, with progress", () =>
    Effect.gen(function*() {
      const url = yield* serveHttp
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
      const client = yield* connect(new StreamableHTTPClientTransport(new URL(url)))
      const { tools } = yield* Effect.promise(() => client.listTools())
      assert.deepStrictEqual(tools.map((t) => t.name), ["echo", "slow", "refuse"])
      const echo = tools.find((t) => t.name === "echo")!
      assert.strictEqual(echo.description, "Repeats the input")
      assert.deepStrictEqual(echo.inputSchema.required, ["input"])
      assert.deepStrictEqual(tools.find((t) => t.name === "slow")!.inputSchema.required, ["steps"])

      assert.strictEqual(text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { input: "hi" } }))), "echo: hi")

      const progress: Array<string> = []
      const done = yield* Effect.promise(() =>
        client.callTool({ name: "slow", arguments: { steps: 3 } }, undefined, { onprogress: (p) => progress.push(`${p.progress} ${p.message}`) })
      )
      assert.strictEqual(text(done), "counted to 3")
      assert.deepStrictEqual(progress, ["1 step: 1/3", "2 step: 2/3", "3 step: 3/3"])
    }))

  it.scopedLive("a cancel interrupts the run (its finalizer runs); a typed failure comes back as error content", () =>
    Effect.gen(function*() {
      const client = yield* connect(new StreamableHTTPClientTransport(new URL(yield* serveHttp)))
      const rejection = yield* cancelSlowRun(client, 500)
      assert.instanceOf(rejection, McpError)
      for (let i = 0; i < 50 && !Fixture.finalized.includes(500); i++) yield* Effect.sleep("100 millis")
      assert.include(Fixture.finalized, 500)

      const refused = yield* Effect.promise(() => client.callTool({ name: "refuse", arguments: { reason: "no" } }))
      assert.isTrue(refused.isError)
      assert.strictEqual(text(refused), "Refused: refused: no")
      assert.deepStrictEqual(refused.structuredContent, { error: { _tag: "Refused", message: "refused: no" } })
    }))

  it.scopedLive("bad input gets protocol-correct errors and the server keeps serving", () =>
    Effect.gen(function*() {
      const url = yield* serveHttp
      const transport = new StreamableHTTPClientTransport(new URL(url))
      const client = yield* connect(transport)

      const unknown = yield* Effect.promise(() => client.callTool({ name: "nope", arguments: {} }).then(() => undefined, (e: unknown) => e))
      assert.instanceOf(unknown, McpError)
      assert.strictEqual((unknown as McpError).code, ErrorCode.InvalidParams)
      assert.match((unknown as McpError).message, /Unknown tool "nope"/)

      const badArgs = yield* Effect.promise(() => client.callTool({ name: "slow", arguments: { steps: "many" } }))
      assert.isTrue(badArgs.isError)
      assert.match(text(badArgs), /^InvalidToolArguments: Arguments for tool "slow" are invalid/)

      const post = (body: string, headers: Record<string, string> = {}) =>
        Effect.promise(() =>
          fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
            body
          }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: number } } }))
        )
      const noSession = yield* post("{not json")
      assert.strictEqual(noSession.status, 400)
      assert.strictEqual(noSession.body.error?.code, ErrorCode.ParseError)
      const inSession = yield* post("{not json", { "mcp-session-id": transport.sessionId!, "mcp-protocol-version": "2025-06-18" })
      assert.strictEqual(inSession.status, 400)
      assert.strictEqual(inSession.body.error?.code, ErrorCode.ParseError)
      const notInitialize = yield* post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }))
      assert.strictEqual(notInitialize.status, 400)

      assert.strictEqual(text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { input: "still" } }))), "echo: still")
    }))

  it.scoped("rejects a tool name MCP does not allow, and a duplicate", () =>
    Effect.gen(function*() {
      const bad = { ...Fixture.refuse, name: "has space" }
      const e1 = yield* Effect.flip(Mcp.serve({ name: "x", tools: [bad], transport: Mcp.http() }))
      assert.match(e1.message, /tool "has space" is not a valid MCP tool name/)
      const e2 = yield* Effect.flip(Mcp.serve({ name: "x", tools: [Fixture.refuse, Fixture.refuse], transport: Mcp.http() }))
      assert.match(e2.message, /tool "refuse" is offered twice/)
    }))
})

describe("the aixfx-mcp bin over stdio, started by the SDK's client", () => {
  it.scopedLive("lists and calls the tools; a cancel runs the workflow's finalizer in the server process; failures are typed", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aixfx-mcp-bin-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const finalizedFile = path.join(dir, "finalized.txt")
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: ["--import", "tsx", "--conditions=@aixfx/source", binTs, "--workflow", appTs],
        env: { PATH: process.env["PATH"] ?? "", AIXFX_MCP_FINALIZED: finalizedFile },
        stderr: "inherit"
      })
      const client = yield* connect(transport)
      assert.deepStrictEqual((yield* Effect.promise(() => client.listTools())).tools.map((t) => t.name), ["echo", "slow", "refuse"])
      assert.strictEqual(text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { input: "over stdio" } }))), "echo: over stdio")

      const rejection = yield* cancelSlowRun(client, 400)
      assert.instanceOf(rejection, McpError)
      const finalizedLine = () => (fs.existsSync(finalizedFile) ? fs.readFileSync(finalizedFile, "utf8") : "")
      for (let i = 0; i < 50 && finalizedLine() === ""; i++) yield* Effect.sleep("100 millis")
      assert.strictEqual(finalizedLine(), "slow 400 finalized\n")

      const refused = yield* Effect.promise(() => client.callTool({ name: "refuse", arguments: { reason: "stdio" } }))
      assert.isTrue(refused.isError)
      assert.deepStrictEqual(refused.structuredContent, { error: { _tag: "Refused", message: "refused: stdio" } })
    }))

  it.scopedLive("with --http <port> it serves on 127.0.0.1 and logs the address on stderr", () =>
    Effect.gen(function*() {
      const child = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(process.execPath, ["--import", "tsx", "--conditions=@aixfx/source", binTs, "--workflow", appTs, "--http", "0"], {
            env: { PATH: process.env["PATH"] ?? "" },
            stdio: ["ignore", "ignore", "pipe"]
          })
        ),
        (child) =>
          Effect.async<void>((resume) => {
            if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
            child.once("exit", () => resume(Effect.void))
            child.kill("SIGTERM")
          })
      )
      const url = yield* Effect.async<string, Error>((resume) => {
        let seen = ""
        child.stderr.on("data", (chunk: Buffer) => {
          seen += chunk.toString("utf8")
          const found = /serving on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(seen)
          if (found !== null) resume(Effect.succeed(found[1]!))
        })
        child.once("exit", (code) => resume(Effect.fail(new Error(`aixfx-mcp exited with ${code}: ${seen}`))))
      }).pipe(Effect.timeoutFail({ duration: "150 seconds", onTimeout: () => new Error("aixfx-mcp did not log its address") }))
      const client = yield* connect(new StreamableHTTPClientTransport(new URL(url)))
      assert.strictEqual(text(yield* Effect.promise(() => client.callTool({ name: "echo", arguments: { input: "over http" } }))), "echo: over http")
    }))
})
