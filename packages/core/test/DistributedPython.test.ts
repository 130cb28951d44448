/**
 * docs/distributed.md's Python instructions, followed as written (its shell commands run verbatim in
 * a scratch directory laid out as the repository): stubs generated with grpcio-tools from the published protos (agent.proto in its package, health.proto at the top level so that no
 * generated `grpc` package shadows grpcio's), a client calling an aixfx node in another process
 * and decoding the typed error detail. Needs a Python with grpcio, grpcio-tools and
 * googleapis-common-protos (`AIXFX_PYTHON`, default `python3`); skipped, saying so, without them.
 */
import { Effect, Exit, Scope } from "effect"
import { execFileSync, execSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { spawnNode } from "./fixtures/processes.js"

const python = process.env["AIXFX_PYTHON"] ?? "python3"
const proto = fileURLToPath(new URL("../proto/", import.meta.url))
const client = fileURLToPath(new URL("./python/client.py", import.meta.url))

const available = (() => {
  try {
    execFileSync(python, ["-c", "import grpc, grpc_tools, google.rpc.status_pb2"], { stdio: "ignore" })
    return true
  } catch {
    console.warn(`DistributedPython: skipped, ${python} lacks grpcio, grpcio-tools or googleapis-common-protos`)
    return false
  }
})()

/**
 * The shell commands of docs/distributed.md's Python section, as written there: the `sh` block
 * after "In Python", continuation lines joined, without `pip install` (the packages are checked
 * above), `python` being the Python under test.
 */
const documentedCommands = (): ReadonlyArray<string> => {
  const docs = readFileSync(fileURLToPath(new URL("../../../docs/distributed.md", import.meta.url)), "utf8")
  const block = /In Python, generate[\s\S]*?```sh\n([\s\S]*?)```/.exec(docs)?.[1]
  if (block === undefined) throw new Error("docs/distributed.md has no sh block in its Python section")
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("pip install"))
    .map((line) => line.replace(/^python /, `"${python}" `))
}

// A scratch directory laid out as the repository is where the commands are run (they name packages/core/proto).
const scratch = mkdtempSync(join(tmpdir(), "aixfx-python-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe("a Python client generated as docs/distributed.md says", () => {
  it("the documented commands are found: a gen directory made, then protoc for agent.proto and health.proto", () => {
    const commands = documentedCommands()
    expect(commands[0]).toBe("mkdir -p gen")
    expect(commands.slice(1).every((command) => command.includes("-m grpc_tools.protoc"))).toBe(true)
    expect(commands.length).toBe(3)
  })

  it.skipIf(!available)("calls an agent, decodes the typed error detail, checks health", async () => {
    mkdirSync(join(scratch, "packages/core"), { recursive: true })
    symlinkSync(proto, join(scratch, "packages/core/proto"))
    for (const command of documentedCommands()) execSync(command, { cwd: scratch, stdio: "pipe" })
    const gen = join(scratch, "gen")

    const scope = await Effect.runPromise(Scope.make())
    try {
      const node = await Effect.runPromise(Scope.extend(spawnNode({ NODE_ID: "py", AIXFX_AGENT_TOKEN: "py-token" }), scope))
      const output = execFileSync(python, [client, gen, node.endpoint], { env: { ...process.env, AIXFX_AGENT_TOKEN: "py-token" }, timeout: 60_000 })
      const result = JSON.parse(output.toString()) as {
        payload: string
        error: { code: string; tag: string; message: string; fields: { available: Array<string> } }
        health: string
      }
      expect(result.payload).toBe("py: hi")
      expect(result.error.code).toBe("NOT_FOUND")
      expect(result.error.tag).toBe("AgentNotFound")
      expect(result.error.fields.available).toContain("echo")
      expect(result.health).toBe("SERVING")
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 120_000)
})
