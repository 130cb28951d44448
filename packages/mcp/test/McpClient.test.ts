import { Agent, LanguageModel, Message, Telemetry } from "@aixfx/core"
import { McpClient } from "@aixfx/mcp"
import { ScriptedModel } from "@aixfx/providers"
import { assert, describe, it, vi } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { everythingHttp, everythingJs, filesystemJs, freePort } from "./fixtures/servers.js"

// Every test starts real server processes: on a loaded machine, starting one can take tens of seconds.
vi.setConfig({ testTimeout: 180_000 })

const everythingStdio = (options: Partial<McpClient.Options> = {}) =>
  McpClient.make({ name: "everything", transport: McpClient.stdio(process.execPath, [everythingJs, "stdio"]), ...options })

const toolServerTs = fileURLToPath(new URL("fixtures/toolServer.ts", import.meta.url))

/** The tool results the model was given, by tool name, as of its last request. */
const toolResults = (requests: ReadonlyArray<ScriptedModel.Request>) =>
  (requests.at(-1)?.messages ?? []).filter((m) => m.role === "tool").map((m) => ({ name: m.name, content: m.content }))

/** A scripted model that makes `calls` (one round each), then answers "done"; it keeps every request. */
const scripted = (calls: ReadonlyArray<{ readonly name: string; readonly args: unknown }>) => {
  const requests: Array<ScriptedModel.Request> = []
  const layer = ScriptedModel.layer({
    reply: (request, index) => {
      requests.push(request)
      const call = calls[index]
      return call === undefined ? "done" : { toolCalls: [{ id: `call-${index}`, name: call.name, arguments: JSON.stringify(call.args) }] }
    }
  })
  return { requests, layer }
}

const ask = (agent: Agent.Agent<LanguageModel.LanguageModel>, payload: string) =>
  agent.execute(Message.make({ type: "user", payload }))

describe("McpClient over stdio (server-everything)", () => {
  it.scopedLive("lists the tools, less the denied ones, and hands their JSON Schemas to the model unchanged", () =>
    Effect.gen(function*() {
      const client = yield* everythingStdio({ deny: ["get-env"] })
      const names = (yield* client.tools).map((t) => t.name)
      assert.include(names, "echo")
      assert.include(names, "get-sum")
      assert.notInclude(names, "get-env")

      const only = yield* everythingStdio({ allow: ["echo", "get-sum"], needsApproval: ["get-sum"], toolPrefix: "ev_" })
      const agentTools = yield* only.agentTools
      assert.deepStrictEqual(agentTools.map((t) => [t.name, (t as { needsApproval?: boolean }).needsApproval ?? false]), [
        ["ev_echo", false],
        ["ev_get-sum", true]
      ])
      const hidden = yield* Effect.flip(only.callTool("get-env", {}))
      assert.strictEqual(hidden._tag, "McpUnknownTool")

      const { layer, requests } = scripted([])
      const agent = McpClient.llm({ name: "assistant", instructions: "Use the tools.", mcp: [client] })
      yield* Effect.provide(ask(agent, "hi"), layer)
      const sent = requests[0]!.tools!.find((t) => t.name === "get-sum")!
      const listed = (yield* client.tools).find((t) => t.name === "get-sum")!
      const { $schema: _marker, ...schema } = LanguageModel.jsonSchema(sent.parameters) as unknown as Record<string, unknown>
      const { $schema: _listedMarker, ...listedSchema } = listed.inputSchema
      assert.deepStrictEqual(schema, listedSchema)
    }))

  it.scopedLive("runs tool calls through Agent.llm: results go back to the model, bad arguments come back as an error it can recover from", () =>
    Effect.gen(function*() {
      const client = yield* everythingStdio()
      const { layer, requests } = scripted([
        { name: "echo", args: { message: "hello mcp" } },
        { name: "get-sum", args: { a: "two", b: 3 } },
        { name: "get-sum", args: { a: 2, b: 3 } }
      ])
      const exporter = new Telemetry.InMemorySpanExporter()
      const spans: Array<ReturnType<typeof exporter.getFinishedSpans>[number]> = []
      const reply = yield* ask(McpClient.llm({ name: "assistant", instructions: "Use the tools.", mcp: [client] }), "go").pipe(
        Effect.provide(layer),
        Effect.tap(() => Effect.sync(() => spans.push(...exporter.getFinishedSpans()))),
        Effect.provide(Telemetry.layerMemory(exporter))
      )
      assert.strictEqual(reply.payload, "done")
      const results = toolResults(requests)
      assert.deepStrictEqual(results[0], { name: "echo", content: "Echo: hello mcp" })
      const badArgs = JSON.parse(results[1]!.content) as { error: string; message: string }
      assert.strictEqual(badArgs.error, "McpInvalidArguments")
      assert.match(badArgs.message, /get-sum.*everything.*invalid/)
      assert.match(results[2]!.content, /5/)

      const toolSpans = spans.filter((s) => s.name.startsWith("execute_tool "))
      assert.deepStrictEqual(toolSpans.map((s) => s.name), ["execute_tool echo", "execute_tool get-sum", "execute_tool get-sum"])
      assert.strictEqual(toolSpans[0]!.attributes["aixfx.mcp.server"], "everything")
      assert.strictEqual(toolSpans[0]!.attributes["gen_ai.tool.name"], "echo")
      assert.strictEqual(toolSpans[1]!.attributes["error.type"], "McpInvalidArguments")
    }))

  it.scopedLive("a needsApproval tool runs with the arguments the approver returns", () =>
    Effect.gen(function*() {
      const client = yield* everythingStdio({ allow: ["echo"], needsApproval: ["echo"] })
      const asked: Array<string> = []
      const { layer, requests } = scripted([{ name: "echo", args: { message: "as the model wrote it" } }])
      yield* ask(McpClient.llm({ name: "assistant", instructions: "Echo.", mcp: [client] }), "go").pipe(
        Effect.provide(layer),
        Effect.provideService(Agent.CurrentToolApproval, (request) => {
          asked.push(`${request.agent} ${request.tool} ${request.arguments}`)
          return Effect.succeed(JSON.stringify({ message: "as approved" }))
        })
      )
      assert.deepStrictEqual(asked, [`assistant echo {"message":"as the model wrote it"}`])
      assert.deepStrictEqual(toolResults(requests), [{ name: "echo", content: "Echo: as approved" }])
    }))

  it.scopedLive("an interrupted call is cancelled at once and the connection keeps working; a slow one times out typed", () =>
    Effect.gen(function*() {
      const client = yield* everythingStdio()
      const firstProgress = yield* Deferred.make<void>()
      const call = yield* Effect.fork(
        client.callTool("trigger-long-running-operation", { duration: 20, steps: 40 }, {
          onProgress: () => Deferred.unsafeDone(firstProgress, Exit.void)
        })
      )
      yield* Deferred.await(firstProgress)
      const started = Date.now()
      yield* Fiber.interrupt(call)
      // The operation runs 20 s: returning well before shows the call was cancelled, not waited for.
      assert.isBelow(Date.now() - started, 10_000)
      assert.strictEqual((yield* client.callTool("echo", { message: "still here" })).text, "Echo: still here")

      const slow = yield* Effect.flip(client.callTool("trigger-long-running-operation", { duration: 10, steps: 2 }, { timeout: "300 millis" }))
      assert.strictEqual(slow._tag, "McpTimeout")
      assert.match(slow.message, /trigger-long-running-operation.*everything.*300 ms/)
    }))

  it.scopedLive("a server killed mid-call fails the call with McpServerGone; the next call starts it again", () =>
    Effect.gen(function*() {
      const client = yield* everythingStdio()
      const pid = (yield* client.pid)!
      const firstProgress = yield* Deferred.make<void>()
      const call = yield* Effect.fork(
        client.callTool("trigger-long-running-operation", { duration: 20, steps: 40 }, {
          onProgress: () => Deferred.unsafeDone(firstProgress, Exit.void)
        })
      )
      yield* Deferred.await(firstProgress)
      process.kill(pid, "SIGKILL")
      const error = yield* Effect.flip(Fiber.join(call))
      assert.strictEqual(error._tag, "McpServerGone")
      assert.match(error.message, /"everything" went away during a call of "trigger-long-running-operation"/)

      assert.strictEqual((yield* client.callTool("echo", { message: "again" })).text, "Echo: again")
      assert.notStrictEqual(yield* client.pid, pid)
    }))

  it.scopedLive("with restart off, a dead server is reported on every later call", () =>
    Effect.gen(function*() {
      const client = yield* everythingStdio({ restart: false })
      const pid = (yield* client.pid)!
      process.kill(pid, "SIGKILL")
      // The kill is seen when the pipe closes; wait for it, bounded.
      for (let i = 0; i < 100 && (yield* client.pid) !== undefined; i++) yield* Effect.sleep("100 millis")
      for (const message of ["x", "y"]) {
        const error = yield* Effect.flip(client.callTool("echo", { message }))
        assert.strictEqual(error._tag, "McpServerGone")
        assert.match(error.message, /restart is off/)
      }
    }))

  it.scopedLive("the server process ends with the scope", () =>
    Effect.gen(function*() {
      const pid = yield* Effect.scoped(Effect.flatMap(everythingStdio(), (client) => Effect.map(client.pid, (p) => p!)))
      const alive = () => {
        try {
          process.kill(pid, 0)
          return true
        } catch {
          return false
        }
      }
      for (let i = 0; i < 50 && alive(); i++) yield* Effect.sleep("100 millis")
      assert.isFalse(alive())
    }))

  it.scopedLive("follows tools/list_changed: a tool the server adds is offered to the next execution", () =>
    Effect.gen(function*() {
      const client = yield* McpClient.make({
        name: "tool-server",
        transport: McpClient.stdio(process.execPath, ["--import", "tsx", toolServerTs])
      })
      assert.deepStrictEqual((yield* client.tools).map((t) => t.name), ["add-tool"])
      yield* client.callTool("add-tool", { name: "greet" })
      for (let i = 0; i < 50 && !(yield* client.tools).some((t) => t.name === "greet"); i++) yield* Effect.sleep("100 millis")
      const { layer, requests } = scripted([{ name: "greet", args: {} }])
      yield* Effect.provide(ask(McpClient.llm({ name: "assistant", instructions: "Greet.", mcp: [client] }), "go"), layer)
      assert.deepStrictEqual(toolResults(requests), [{ name: "greet", content: "hello from greet" }])
    }))
})

describe("McpClient connecting", () => {
  it.scopedLive("a command that does not start, or a port nobody listens on, is McpConnectError naming the server", () =>
    Effect.gen(function*() {
      const noCommand = yield* Effect.flip(McpClient.make({ name: "missing", transport: McpClient.stdio("/nonexistent/mcp-server") }))
      assert.strictEqual(noCommand._tag, "McpConnectError")
      assert.match(noCommand.message, /MCP server "missing" could not be reached/)
      const port = yield* freePort
      const noServer = yield* Effect.flip(McpClient.make({ name: "closed-port", transport: McpClient.http(`http://127.0.0.1:${port}/mcp`) }))
      assert.strictEqual(noServer._tag, "McpConnectError")
      assert.match(noServer.message, /MCP server "closed-port" could not be reached/)
    }))
})

describe("McpClient over streamable HTTP (server-everything on 127.0.0.1)", () => {
  it.scopedLive("lists the tools and runs a call through Agent.llm", () =>
    Effect.gen(function*() {
      const { url } = yield* everythingHttp
      const client = yield* McpClient.make({ name: "everything-http", transport: McpClient.http(url) })
      assert.include((yield* client.tools).map((t) => t.name), "get-sum")
      const { layer, requests } = scripted([{ name: "get-sum", args: { a: 20, b: 22 } }])
      yield* Effect.provide(ask(McpClient.llm({ name: "assistant", instructions: "Add.", mcp: [client] }), "go"), layer)
      assert.match(toolResults(requests)[0]!.content, /42/)
    }))

  it.scopedLive("a server killed mid-call fails the call with a typed error", () =>
    Effect.gen(function*() {
      const { child, url } = yield* everythingHttp
      const client = yield* McpClient.make({ name: "everything-http", transport: McpClient.http(url), restart: false })
      const firstProgress = yield* Deferred.make<void>()
      const call = yield* Effect.fork(
        client.callTool("trigger-long-running-operation", { duration: 20, steps: 40 }, {
          onProgress: () => Deferred.unsafeDone(firstProgress, Exit.void),
          timeout: "15 seconds"
        })
      )
      yield* Deferred.await(firstProgress)
      child.kill("SIGKILL")
      const error = yield* Effect.flip(Fiber.join(call))
      assert.strictEqual(error._tag, "McpServerGone")
      assert.match(error.message, /"everything-http" went away during a call of "trigger-long-running-operation"/)
    }))
})

describe("McpClient with server-filesystem on a temp directory", () => {
  it.scopedLive("an agent reads a file; a path outside the allowed directory comes back as a tool error", () =>
    Effect.gen(function*() {
      const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "aixfx-mcp-fs-")))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      fs.writeFileSync(path.join(dir, "notes.txt"), "MCP works offline.\n")
      const client = yield* McpClient.make({
        name: "fs",
        transport: McpClient.stdio(process.execPath, [filesystemJs, dir]),
        allow: ["read_text_file", "list_directory"],
        toolPrefix: "fs_"
      })
      const { layer, requests } = scripted([
        { name: "fs_list_directory", args: { path: dir } },
        { name: "fs_read_text_file", args: { path: path.join(dir, "notes.txt") } },
        { name: "fs_read_text_file", args: { path: "/etc/hostname" } }
      ])
      yield* Effect.provide(ask(McpClient.llm({ name: "reader", instructions: "Read files.", mcp: [client] }), "go"), layer)
      const [listing, read, denied] = toolResults(requests)
      assert.match(listing!.content, /\[FILE\] notes\.txt/)
      assert.match(read!.content, /MCP works offline\./)
      const error = JSON.parse(denied!.content) as { error: string; message: string }
      assert.strictEqual(error.error, "McpToolError")
      assert.match(error.message, /read_text_file.*"fs".*denied|outside/i)
    }))
})
