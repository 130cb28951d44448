/**
 * The wire format of DistributedRuntime: the published .proto files loaded with
 * @grpc/proto-loader, and the conversions between core's values and their protobuf shapes
 * (Message, google.protobuf.Struct, typed errors in google.rpc.Status details).
 */
import * as grpc from "@grpc/grpc-js"
import { status as Status } from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { Either, Schema } from "effect"
import protobuf from "protobufjs"
import { fileURLToPath } from "node:url"
import {
  AgentError,
  CallTimeout,
  MessageTooLarge,
  TransportError,
  Unauthenticated
} from "../../AgentError.js"
import type { JsonObject, JsonValue } from "../../Json.js"
import * as Message from "../../Message.js"

/** `packages/core/proto`, the same relative place from `src/` and from `dist/`. */
export const protoDir = fileURLToPath(new URL("../../../proto/", import.meta.url))
export const agentProto = "aixfx/agent/v1/agent.proto"
export const healthProto = "grpc/health/v1/health.proto"

export const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir]
}

const definition = protoLoader.loadSync([agentProto, healthProto], loaderOptions)
export const agentService = definition["aixfx.agent.v1.AgentService"] as grpc.ServiceDefinition
export const healthService = definition["grpc.health.v1.Health"] as grpc.ServiceDefinition
export const agentServiceName = "aixfx.agent.v1.AgentService"

// ---- Struct <-> JSON ------------------------------------------------------------------------

/** A google.protobuf.Struct as proto-loader and protobufjs see it (`kind` names the Value's set field). */
export interface ProtoStruct {
  readonly fields?: { readonly [key: string]: ProtoValue }
}
interface ProtoValue {
  readonly kind?: string
  readonly [field: string]: unknown
}

const toValue = (value: JsonValue): ProtoValue => {
  if (value === null) return { nullValue: "NULL_VALUE" }
  if (typeof value === "boolean") return { boolValue: value }
  if (typeof value === "number") return { numberValue: value }
  if (typeof value === "string") return { stringValue: value }
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } }
  return { structValue: toStruct(value as JsonObject) }
}

export const toStruct = (object: JsonObject): ProtoStruct => ({
  fields: Object.fromEntries(Object.entries(object).map(([key, value]) => [key, toValue(value)]))
})

const fromValue = (value: ProtoValue): JsonValue => {
  switch (value.kind) {
    case "numberValue":
    case "stringValue":
    case "boolValue":
      return value[value.kind] as JsonValue
    case "structValue":
      return fromStruct(value.structValue as ProtoStruct)
    case "listValue":
      return ((value.listValue as { values?: Array<ProtoValue> }).values ?? []).map(fromValue)
    default:
      return null
  }
}

export const fromStruct = (struct: ProtoStruct | null | undefined): JsonObject =>
  Object.fromEntries(Object.entries(struct?.fields ?? {}).map(([key, value]) => [key, fromValue(value)]))

// ---- Message --------------------------------------------------------------------------------

export interface ProtoMessage {
  readonly id: string
  readonly type: string
  readonly payload: string
  readonly metadata: ProtoStruct | null
  readonly timestamp: number
}

export const messageToProto = (message: Message.Message): ProtoMessage => ({
  id: message.id,
  type: message.type,
  payload: message.payload,
  metadata: toStruct(message.metadata),
  timestamp: message.timestamp
})

/**
 * A message from the wire; a client of another language may leave id, type or time out. Built
 * with `Message.make` (a JSON-safety check), not the validating class constructor: validation cost
 * ~90 µs a message, on both ends of every call.
 */
export const messageFromProto = (proto: ProtoMessage | null | undefined): Message.Message =>
  Message.make({
    id: proto?.id || crypto.randomUUID(),
    type: proto?.type || "text",
    payload: proto?.payload ?? "",
    metadata: fromStruct(proto?.metadata),
    timestamp: proto?.timestamp || Date.now()
  })

// ---- typed errors <-> status ------------------------------------------------------------------

const statusRoot = new protobuf.Root()
// The google/protobuf imports resolve to protobufjs's bundled copies (their Any keeps `type_url`).
statusRoot.resolvePath = (_origin, target) => (target.startsWith("google/protobuf/") ? target : `${protoDir}${target}`)
statusRoot.loadSync(["google/rpc/status.proto", agentProto])
const StatusType = statusRoot.lookupType("google.rpc.Status")
const AgentErrorType = statusRoot.lookupType("aixfx.agent.v1.AgentError")
export const errorTypeUrl = "type.googleapis.com/aixfx.agent.v1.AgentError"
export const statusDetailsKey = "grpc-status-details-bin"


/** The gRPC code that says what kind of failure an error is; UNKNOWN for an agent's own failures. */
const codeByTag: { readonly [tag: string]: grpc.status } = {
  InvalidAgentName: Status.INVALID_ARGUMENT,
  PayloadDecodeError: Status.INVALID_ARGUMENT,
  InvalidRequest: Status.INVALID_ARGUMENT,
  ContextLengthExceeded: Status.INVALID_ARGUMENT,
  AgentAlreadyRegistered: Status.ALREADY_EXISTS,
  AgentNotFound: Status.NOT_FOUND,
  AgentNotReady: Status.UNAVAILABLE,
  RuntimeStopped: Status.UNAVAILABLE,
  TransportError: Status.UNAVAILABLE,
  ProviderUnavailable: Status.UNAVAILABLE,
  NetworkError: Status.UNAVAILABLE,
  CallTimeout: Status.DEADLINE_EXCEEDED,
  LlmTimeout: Status.DEADLINE_EXCEEDED,
  PatternTimeout: Status.DEADLINE_EXCEEDED,
  Unauthenticated: Status.UNAUTHENTICATED,
  AuthenticationFailed: Status.FAILED_PRECONDITION,
  MessageTooLarge: Status.RESOURCE_EXHAUSTED,
  RateLimited: Status.RESOURCE_EXHAUSTED,
  BudgetExceeded: Status.RESOURCE_EXHAUSTED
}

export const statusCodeOf = (error: AgentError): grpc.status => codeByTag[error._tag] ?? Status.UNKNOWN

const encodeAgentError = Schema.encodeSync(AgentError)

/** The status a server ends a call with: code, message, and the error itself in the details. */
export const errorToStatus = (error: AgentError): grpc.StatusObject => {
  const code = statusCodeOf(error)
  const fields = encodeAgentError(error) as unknown as JsonObject
  const detail = AgentErrorType.encode(
    AgentErrorType.fromObject({ tag: error._tag, message: error.message, fields: toStruct(fields) })
  ).finish()
  const status = StatusType.encode(
    StatusType.fromObject({ code, message: error.message, details: [{ type_url: errorTypeUrl, value: detail }] })
  ).finish()
  const metadata = new grpc.Metadata()
  metadata.set(statusDetailsKey, Buffer.from(status))
  return { code, details: error.message, metadata }
}

const decodeAgentError = Schema.decodeUnknownEither(AgentError)

/** The typed error in a status's details, if the peer sent one this version understands. */
const errorFromDetails = (metadata: grpc.Metadata | undefined): AgentError | undefined => {
  const [raw] = metadata?.get(statusDetailsKey) ?? []
  if (!(raw instanceof Buffer)) return undefined
  const status = StatusType.toObject(StatusType.decode(raw)) as { details?: Array<{ type_url: string; value: Uint8Array }> }
  const detail = status.details?.find((d) => d.type_url === errorTypeUrl)
  if (detail === undefined) return undefined
  const decoded = AgentErrorType.toObject(AgentErrorType.decode(detail.value), { oneofs: true, enums: String }) as {
    tag: string
    fields?: ProtoStruct
  }
  return Either.getOrUndefined(decodeAgentError({ ...fromStruct(decoded.fields), _tag: decoded.tag }))
}

export interface FailedCall {
  readonly agent: string
  readonly endpoint: string
  readonly timeoutMs: number | undefined
}

const sizes = /larger than max \((\d+) vs\.? (\d+)\)/

/**
 * The typed error for a failed call: the peer's own error when it sent one, else one made from
 * the status code (the transport failed, or a non-aixfx server answered).
 */
export const errorFromStatus = (error: grpc.ServiceError, call: FailedCall): AgentError => {
  const typed = errorFromDetails(error.metadata)
  if (typed !== undefined) return typed
  const where = `agent "${call.agent}" at ${call.endpoint}`
  switch (error.code) {
    case Status.DEADLINE_EXCEEDED:
      return CallTimeout.of(call.agent, call.timeoutMs ?? 0)
    case Status.UNAUTHENTICATED:
      return new Unauthenticated({ endpoint: call.endpoint, message: `Call to ${where} was rejected: ${error.details}` })
    case Status.RESOURCE_EXHAUSTED: {
      const match = sizes.exec(error.details)
      if (match !== null) {
        return new MessageTooLarge({
          agent: call.agent,
          sizeBytes: Number(match[1]),
          limitBytes: Number(match[2]),
          message: `Message to or from ${where} is too large: ${match[1]} bytes, the limit is ${match[2]}`
        })
      }
      break
    }
  }
  return new TransportError({
    agent: call.agent,
    endpoint: call.endpoint,
    code: Status[error.code] ?? String(error.code),
    mayHaveRun: !wasNotDelivered(error),
    message: `Call to ${where} failed: ${Status[error.code] ?? error.code}: ${error.details}`
  })
}

/**
 * True when the call never reached a server (no connection could be made), so another endpoint
 * may take it without risking a second execution. A call cut off mid-way is not retried.
 */
export const wasNotDelivered = (error: grpc.ServiceError): boolean =>
  error.code === Status.UNAVAILABLE && errorFromDetails(error.metadata) === undefined &&
  /No connection established|ECONNREFUSED|Failed to connect/.test(error.details)
