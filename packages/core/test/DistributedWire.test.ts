/**
 * Every failure typed for every client: a client built only from the published .proto files
 * (@grpc/proto-loader and protobufjs, no aixfx code), sending raw bytes where a well-behaved stub
 * could not, against an aixfx node in another process. Each failure must come back with its
 * documented status code and an `aixfx.agent.v1.AgentError` detail.
 */
import * as grpc from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { Effect, Exit, Scope } from "effect"
import protobuf from "protobufjs"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ChildNode, spawnNode } from "./fixtures/processes.js"

const protoDir = fileURLToPath(new URL("../proto/", import.meta.url))
const TOKEN = "wire-token"
const LIMIT = 4096

const definition = protoLoader.loadSync(["aixfx/agent/v1/agent.proto", "grpc/health/v1/health.proto"], {
  includeDirs: [protoDir],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true
})
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } }
}
const root = new protobuf.Root()
root.resolvePath = (_origin, target) => (target.startsWith("google/protobuf/") ? target : `${protoDir}${target}`)
root.loadSync(["google/rpc/status.proto", "aixfx/agent/v1/agent.proto"])
const ExecuteRequest = root.lookupType("aixfx.agent.v1.ExecuteRequest")
const ExecuteResponse = root.lookupType("aixfx.agent.v1.ExecuteResponse")
const Status = root.lookupType("google.rpc.Status")
const AgentError = root.lookupType("aixfx.agent.v1.AgentError")

type Value = { numberValue?: number; stringValue?: string; boolValue?: boolean; structValue?: Struct; listValue?: { values?: Array<Value> } }
type Struct = { fields?: Record<string, Value> }

const bearer = () => {
  const metadata = new grpc.Metadata()
  metadata.set("authorization", `Bearer ${TOKEN}`)
  return metadata
}

/** Sends `bytes` as the request of `method` (`Service/Method`, AgentService's by default) exactly as given; the reply's bytes or the error. */
const raw = (client: grpc.Client, method: string, bytes: Buffer, metadata = new grpc.Metadata()) =>
  new Promise<Buffer | grpc.ServiceError>((resolve) =>
    client.makeUnaryRequest<Buffer, Buffer>(
      `/${method.includes("/") ? method : `aixfx.agent.v1.AgentService/${method}`}`,
      (b) => b,
      (b) => b,
      bytes,
      metadata,
      (error, reply) => resolve(error ?? reply!)
    ))

const executeBytes = (agent: string, payload: string, metadata: Struct = {}) =>
  Buffer.from(ExecuteRequest.encode({ agent, message: { payload, metadata } }).finish())

interface Detail {
  readonly code: number
  readonly tag: string
  readonly message: string
  readonly fields: Record<string, Value>
}

/** The AgentError detail of a failed call, decoded as any client would. */
const detailOf = (error: grpc.ServiceError): Detail => {
  const [bytes] = error.metadata.get("grpc-status-details-bin") as Array<Buffer>
  expect(bytes, `status ${grpc.status[error.code]} "${error.details}" carries grpc-status-details-bin`).toBeDefined()
  const status = Status.toObject(Status.decode(bytes!)) as { code: number; details: Array<{ type_url: string; value: Uint8Array }> }
  const detail = status.details.find((d) => d.type_url === "type.googleapis.com/aixfx.agent.v1.AgentError")!
  const decoded = AgentError.toObject(AgentError.decode(detail.value)) as { tag: string; message: string; fields: Struct }
  return { code: status.code, tag: decoded.tag, message: decoded.message, fields: decoded.fields.fields ?? {} }
}

const failed = (result: Buffer | grpc.ServiceError): grpc.ServiceError => {
  expect(result).not.toBeInstanceOf(Buffer)
  return result as grpc.ServiceError
}

let scope: Scope.CloseableScope
let node: ChildNode
let agents: grpc.Client
let health: grpc.Client

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  node = await Effect.runPromise(Scope.extend(spawnNode({ NODE_ID: "w", AIXFX_AGENT_TOKEN: TOKEN, MAX_MESSAGE_BYTES: String(LIMIT) }), scope))
  agents = new grpc.Client(node.endpoint, grpc.credentials.createInsecure())
  health = new loaded.grpc.health.v1.Health(node.endpoint, grpc.credentials.createInsecure())
}, 120_000)
afterAll(async () => {
  agents.close()
  health.close()
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("every failure typed, for a client built from the proto alone", () => {
  it("checks the token before decoding: garbage without a token is UNAUTHENTICATED, with one INVALID_ARGUMENT", async () => {
    // Field 2 (the message) announces 16 bytes and brings 1.
    const garbage = Buffer.from([0x12, 0x10, 0x61])
    const anonymous = failed(await raw(agents, "Execute", garbage))
    expect(grpc.status[anonymous.code]).toBe("UNAUTHENTICATED")
    expect(detailOf(anonymous).tag).toBe("Unauthenticated")

    const malformed = failed(await raw(agents, "Execute", garbage, bearer()))
    expect(grpc.status[malformed.code]).toBe("INVALID_ARGUMENT")
    const detail = detailOf(malformed)
    expect(detail.tag).toBe("MalformedRequest")
    expect(detail.fields["method"]?.stringValue).toBe("Execute")
  }, 20_000)

  it("answers truncated protobuf and NaN / Infinity in metadata with INVALID_ARGUMENT and a detail", async () => {
    const whole = executeBytes("echo", "a payload long enough to cut")
    const truncated = failed(await raw(agents, "Execute", whole.subarray(0, whole.length - 6), bearer()))
    expect(grpc.status[truncated.code]).toBe("INVALID_ARGUMENT")
    expect(detailOf(truncated).tag).toBe("MalformedRequest")

    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = failed(await raw(agents, "Execute", executeBytes("echo", "x", { fields: { score: { numberValue: bad } } }), bearer()))
      expect(grpc.status[error.code]).toBe("INVALID_ARGUMENT")
      const detail = detailOf(error)
      expect(detail.tag).toBe("MalformedRequest")
      expect(detail.message).toContain("metadata.score")
    }
  }, 20_000)

  it("a request cut off in its last field is not read as a shorter one: INVALID_ARGUMENT, not another agent's name", async () => {
    // Field 1 (the agent) announces "echo" (4 bytes) and brings "ec": read leniently, it names agent "ec".
    for (const method of ["Execute", "Receive"]) {
      const cut = failed(await raw(agents, method, Buffer.from([0x0a, 0x04, 0x65, 0x63]), bearer()))
      expect(grpc.status[cut.code]).toBe("INVALID_ARGUMENT")
      expect(detailOf(cut).tag).toBe("MalformedRequest")
    }
  }, 20_000)

  it("health requests that cannot be read, and unknown agents, are answered with the documented status and a detail", async () => {
    for (const garbage of [[0x0f], [0x0a, 0x10, 0x61]]) {
      const error = failed(await raw(health, "grpc.health.v1.Health/Check", Buffer.from(garbage), bearer()))
      expect(grpc.status[error.code]).toBe("INVALID_ARGUMENT")
      expect(detailOf(error)).toMatchObject({ tag: "MalformedRequest", fields: { method: { stringValue: "Check" } } })
    }
    const unknown = failed(await raw(health, "grpc.health.v1.Health/Check", Buffer.from([0x0a, 0x06, ...Buffer.from("nobody")]), bearer()))
    expect(grpc.status[unknown.code]).toBe("NOT_FOUND")
    expect(detailOf(unknown).tag).toBe("AgentNotFound")
  }, 20_000)

  it("RESOURCE_EXHAUSTED for a request over the node's limit carries MessageTooLarge, its sizes as numbers", async () => {
    const error = failed(await raw(agents, "Execute", executeBytes("echo", "x".repeat(2 * LIMIT)), bearer()))
    expect(grpc.status[error.code]).toBe("RESOURCE_EXHAUSTED")
    const detail = detailOf(error)
    expect(detail.tag).toBe("MessageTooLarge")
    expect(detail.fields["limitBytes"]).toEqual({ numberValue: LIMIT })
    expect(detail.fields["sizeBytes"]?.numberValue).toBeGreaterThan(2 * LIMIT)
    expect(detail.fields["agent"]).toEqual({ stringValue: "echo" })
  }, 20_000)

  it("numbers keep their type and value across the wire, both ways", async () => {
    const numbers = { int: 42, negative: -1.5, zero: 0, largest: Number.MAX_SAFE_INTEGER, tiny: 5e-324 }
    const fields = Object.fromEntries(Object.entries(numbers).map(([key, n]) => [key, { numberValue: n }]))
    const reply = await raw(agents, "Execute", executeBytes("echo", "n", { fields }), bearer())
    expect(reply).toBeInstanceOf(Buffer)
    const { message } = ExecuteResponse.toObject(ExecuteResponse.decode(reply as Buffer)) as { message: { metadata: Struct } }
    for (const [key, n] of Object.entries(numbers)) expect(message.metadata.fields?.[key]).toEqual({ numberValue: n })
  }, 20_000)

  it("a defect sends no internals: a message and an incident id, which the node's log has in full", async () => {
    const error = failed(await raw(agents, "Execute", executeBytes("defect", "x"), bearer()))
    expect(grpc.status[error.code]).toBe("INTERNAL")
    const detail = detailOf(error)
    expect(detail.tag).toBe("InternalError")
    const incidentId = detail.fields["incidentId"]?.stringValue
    expect(incidentId).toMatch(/^[0-9a-f-]{36}$/)
    expect(error.details).toContain(incidentId)
    // No stack, no paths of the server's files, in anything the caller gets.
    const sent = `${error.details} ${JSON.stringify(detail)}`
    expect(sent).not.toMatch(/boom|\.ts|\/packages\/|\n\s+at /)
    expect(sent.length).toBeLessThan(1000)
    const logged = await Effect.runPromise(node.waitForLine(incidentId!, "10 seconds"))
    expect(logged).toContain(incidentId)
    expect(await Effect.runPromise(node.output)).toContain("boom in")
  }, 20_000)
})

describe("health, for a client built from the proto alone", () => {
  type Check = (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: { status: string }) => void) => void
  const check = (service: string, metadata = new grpc.Metadata()) =>
    new Promise<{ status: string } | grpc.ServiceError>((resolve) => {
      const method = (health as unknown as Record<string, Check>)["Check"]!.bind(health)
      method({ service }, metadata, (error, reply) => resolve(error ?? reply))
    })

  it("without the token it tells whether the node serves, but nothing about which agents exist", async () => {
    expect(await check("")).toEqual({ status: "SERVING" })
    expect(await check("aixfx.agent.v1.AgentService")).toEqual({ status: "SERVING" })
    const existing = await check("echo")
    const missing = await check("nobody")
    expect(grpc.status[(existing as grpc.ServiceError).code]).toBe("UNAUTHENTICATED")
    expect(grpc.status[(missing as grpc.ServiceError).code]).toBe("UNAUTHENTICATED")
    expect((existing as grpc.ServiceError).details).toBe((missing as grpc.ServiceError).details)
    // With the token: the agent's readiness, and NOT_FOUND for an unknown one.
    expect(await check("echo", bearer())).toEqual({ status: "SERVING" })
    expect(grpc.status[(await check("nobody", bearer()) as grpc.ServiceError).code]).toBe("NOT_FOUND")
  }, 20_000)

  it("Watch streams the status (and refuses agent names without the token)", async () => {
    const watch = (service: string, metadata: grpc.Metadata) => {
      const call = (health as unknown as Record<string, (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<{ status: string }>>)["Watch"]!(
        { service },
        metadata
      )
      return new Promise<string>((resolve) => {
        call.on("data", (reply: { status: string }) => {
          resolve(reply.status)
          call.cancel()
        })
        call.on("error", (error: grpc.ServiceError) => resolve(grpc.status[error.code]!))
      })
    }
    expect(await watch("", new grpc.Metadata())).toBe("SERVING")
    expect(await watch("echo", bearer())).toBe("SERVING")
    expect(await watch("nobody", bearer())).toBe("SERVICE_UNKNOWN")
    expect(await watch("echo", new grpc.Metadata())).toBe("UNAUTHENTICATED")
  }, 20_000)
})
