/**
 * docs/distributed.md's Python instructions, followed as written: stubs generated with grpcio-tools
 * from the published protos (agent.proto in its package, health.proto at the top level so that no
 * generated `grpc` package shadows grpcio's), a client calling an aixfx node in another process
 * and decoding the typed error detail. Needs a Python with grpcio, grpcio-tools and
 * googleapis-common-protos (`AIXFX_PYTHON`, default `python3`); skipped, saying so, without them.
 */
import { Effect, Exit, Scope } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
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

const gen = mkdtempSync(join(tmpdir(), "aixfx-python-"))
afterAll(() => rmSync(gen, { recursive: true, force: true }))

describe("a Python client generated as docs/distributed.md says", () => {
  it.skipIf(!available)("calls an agent, decodes the typed error detail, checks health", async () => {
    const protoc = (include: string, file: string) =>
      execFileSync(python, ["-m", "grpc_tools.protoc", "-I", include, `--python_out=${gen}`, `--grpc_python_out=${gen}`, file])
    protoc(proto, join(proto, "aixfx/agent/v1/agent.proto"))
    protoc(join(proto, "grpc/health/v1"), join(proto, "grpc/health/v1/health.proto"))

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
