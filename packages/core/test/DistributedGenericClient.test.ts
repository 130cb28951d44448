/**
 * The proof that other languages can call an aixfx node: a client built only from the published
 * .proto files by @grpc/proto-loader + @grpc/grpc-js (what any gRPC stack does with protoc), with
 * no aixfx code on the calling side, calls an agent node running in another process.
 */
import * as grpc from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { Effect, Exit, Scope } from "effect"
import protobuf from "protobufjs"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { spawnNode } from "./fixtures/processes.js"

const protoDir = fileURLToPath(new URL("../proto/", import.meta.url))
const TOKEN = "generic-client-token"

// ---- the generic client: nothing but the .proto files ------------------------------------------
const definition = protoLoader.loadSync(["aixfx/agent/v1/agent.proto", "grpc/health/v1/health.proto"], {
  includeDirs: [protoDir],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true
})
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  aixfx: { agent: { v1: { AgentService: grpc.ServiceClientConstructor } } }
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } }
}
const statusRoot = new protobuf.Root()
statusRoot.resolvePath = (_origin, target) => (target.startsWith("google/protobuf/") ? target : `${protoDir}${target}`)
statusRoot.loadSync(["google/rpc/status.proto", "aixfx/agent/v1/agent.proto"])

type Callback = (error: grpc.ServiceError | null, response: Record<string, unknown>) => void
const unary = (client: grpc.Client, method: string, request: object, metadata = new grpc.Metadata()) =>
  new Promise<Record<string, unknown>>((resolve, reject) =>
    (client as unknown as Record<string, (r: object, m: grpc.Metadata, cb: Callback) => void>)[method]!(
      request,
      metadata,
      (error, response) => (error === null ? resolve(response) : reject(error))
    ))

const bearer = () => {
  const metadata = new grpc.Metadata()
  metadata.set("authorization", `Bearer ${TOKEN}`)
  return metadata
}

// ---- the node under call (an aixfx process) ------------------------------------------------------
let scope: Scope.CloseableScope
let endpoint: string

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  const node = await Effect.runPromise(Scope.extend(spawnNode({ NODE_ID: "g", AIXFX_AGENT_TOKEN: TOKEN }), scope))
  endpoint = node.endpoint
}, 120_000)
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

describe("a client generated from agent.proto alone", () => {
  it("calls an agent, lists agents, streams, and reads the health service", async () => {
    const agents = new loaded.aixfx.agent.v1.AgentService(endpoint, grpc.credentials.createInsecure())
    const health = new loaded.grpc.health.v1.Health(endpoint, grpc.credentials.createInsecure())
    try {
      const reply = await unary(agents, "Execute", {
        agent: "echo",
        message: { payload: "from elsewhere", metadata: { fields: { lang: { stringValue: "any" } } } }
      }, bearer())
      const message = reply["message"] as { payload: string; metadata: { fields: Record<string, { stringValue?: string }> } }
      expect(message.payload).toBe("g: from elsewhere")
      expect(message.metadata.fields["lang"]?.stringValue).toBe("any")

      const listed = await unary(agents, "ListAgents", {}, bearer())
      expect((listed["agents"] as Array<{ name: string }>).map((a) => a.name)).toContain("echo")

      const events: Array<string> = []
      await new Promise<void>((resolve, reject) => {
        const streaming = agents as unknown as Record<string, (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<unknown>>
        const call = streaming["ExecuteStream"]!({ agent: "stream", message: { payload: "a b" } }, bearer())
        call.on("data", (event: { event: string; progress?: { stage: string }; token?: { text: string }; result?: { payload: string } }) =>
          events.push(event.event === "progress" ? event.progress!.stage : event.event === "token" ? event.token!.text : event.result!.payload))
        call.on("error", reject)
        call.on("end", resolve)
      })
      expect(events).toEqual(["started", "thinking", "a ", "b ", "g: a b"])

      expect(await unary(health, "Check", { service: "" })).toEqual({ status: "SERVING" })
      // An agent's readiness is told only to a caller with the token.
      expect(await unary(health, "Check", { service: "echo" }, bearer())).toEqual({ status: "SERVING" })
    } finally {
      agents.close()
      health.close()
    }
  }, 20_000)

  it("sees meaningful status codes and the typed error in grpc-status-details-bin", async () => {
    const agents = new loaded.aixfx.agent.v1.AgentService(endpoint, grpc.credentials.createInsecure())
    try {
      const unauthenticated = await unary(agents, "Execute", { agent: "echo", message: { payload: "x" } }).catch((e: grpc.ServiceError) => e)
      expect((unauthenticated as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED)

      const notFound = (await unary(agents, "Execute", { agent: "nobody", message: { payload: "x" } }, bearer()).catch(
        (e: grpc.ServiceError) => e
      )) as grpc.ServiceError
      expect(notFound.code).toBe(grpc.status.NOT_FOUND)
      const [details] = notFound.metadata.get("grpc-status-details-bin") as Array<Buffer>
      const Status = statusRoot.lookupType("google.rpc.Status")
      const AgentError = statusRoot.lookupType("aixfx.agent.v1.AgentError")
      const status = Status.toObject(Status.decode(details!)) as { code: number; details: Array<{ type_url: string; value: Uint8Array }> }
      expect(status.code).toBe(grpc.status.NOT_FOUND)
      expect(status.details[0]!.type_url).toBe("type.googleapis.com/aixfx.agent.v1.AgentError")
      const error = AgentError.toObject(AgentError.decode(status.details[0]!.value)) as { tag: string; message: string }
      expect(error.tag).toBe("AgentNotFound")
      expect(error.message).toContain(`No agent named "nobody"`)

      const deadline = await new Promise<grpc.ServiceError>((resolve) =>
        (agents as unknown as Record<string, (r: object, m: grpc.Metadata, o: grpc.CallOptions, cb: Callback) => void>)["Execute"]!(
          { agent: "slow", message: { payload: "5000" } },
          bearer(),
          { deadline: Date.now() + 200 },
          (e) => resolve(e!)
        ))
      expect(deadline.code).toBe(grpc.status.DEADLINE_EXCEEDED)
    } finally {
      agents.close()
    }
  }, 20_000)
})
