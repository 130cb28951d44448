/**
 * The wire format of DistributedRuntime: the published .proto files loaded with
 * @grpc/proto-loader, and the conversions between core's values and their protobuf shapes
 * (Message, google.protobuf.Struct, typed errors in google.rpc.Status details).
 */
import * as grpc from "@grpc/grpc-js"
import { status as Status } from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { Either, Option, Schema } from "effect"
import protobuf from "protobufjs"
import { fileURLToPath } from "node:url"
import {
  type AgentError,
  CallTimeout,
  CoreAgentError,
  type ErrorSchema,
  MalformedRequest,
  MessageTooLarge,
  TransportError,
  Unauthenticated,
  UnregisteredAgentError
} from "../../AgentError.js"
import type * as CostLedger from "../../CostLedger.js"
import { type JsonObject, type JsonValue, toJson } from "../../Json.js"
import * as Message from "../../Message.js"
import * as Usage from "../../Usage.js"

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

// ---- requests and replies as bytes ------------------------------------------------------------

export type Method = "Execute" | "ExecuteStream" | "ListAgents" | "Send" | "Receive" | "CallCosts"

/**
 * AgentService as the server registers it: requests and replies pass as bytes, so that the server
 * checks the token before decoding anything, and answers a request it cannot read, or a reply too
 * large to send, with a typed error of its own rather than grpc-js's bare status.
 */
export const agentServiceAsBytes: grpc.ServiceDefinition = Object.fromEntries(
  Object.entries(agentService).map(([name, method]) => [
    name,
    { ...method, requestDeserialize: (bytes: Buffer) => bytes, responseSerialize: (bytes: Buffer) => bytes }
  ])
)

/** The Health service as the server registers it: requests as bytes, decoded by `decodeHealthRequest`. */
export const healthServiceAsBytes: grpc.ServiceDefinition = Object.fromEntries(
  Object.entries(healthService).map(([name, method]) => [name, { ...method, requestDeserialize: (bytes: Buffer) => bytes }])
)

/**
 * Fails when a top-level field of `bytes` runs past their end. protobufjs reads a Node Buffer
 * with a reader that cuts a truncated string or bytes field short without a word (a request cut
 * off in its last field would be read as a shorter one); truncation inside a nested message it
 * does detect. Its strict reader (for a plain Uint8Array) decodes strings in JavaScript, several
 * times slower for a large payload, so the few top-level fields are checked here instead.
 */
const checkTopLevelFields = (bytes: Buffer): void => {
  let pos = 0
  const varint = (): number => {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      if (pos >= bytes.length) throw new Error(`truncated: a varint runs past the end (${bytes.length} bytes)`)
      const byte = bytes[pos++]!
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
  }
  while (pos < bytes.length) {
    const wireType = varint() % 8
    // Groups (long deprecated) and invalid wire types are left to the decoder.
    if (wireType === 3 || wireType === 4) return
    if (wireType === 0) {
      varint()
      continue
    }
    const size = wireType === 1 ? 8 : wireType === 5 ? 4 : wireType === 2 ? varint() : 0
    if (pos + size > bytes.length) throw new Error(`truncated: a field of ${size} bytes at offset ${pos} runs past the end (${bytes.length} bytes)`)
    pos += size
  }
}

export interface DecodedRequest {
  readonly agent: string
  readonly message: Message.Message | undefined
  /** The message id of the call a `CallCosts` request asks about ("" otherwise). */
  readonly messageId: string
}

/** A request's bytes decoded; truncated protobuf or metadata that is not JSON is a `MalformedRequest`. */
export const decodeRequest = (method: Method, bytes: Buffer): Either.Either<DecodedRequest, MalformedRequest> => {
  try {
    checkTopLevelFields(bytes)
    const request = agentService[method]!.requestDeserialize(bytes) as { agent?: string; message?: ProtoMessage | null; messageId?: string }
    return Either.right({
      agent: request.agent ?? "",
      message: method === "Execute" || method === "ExecuteStream" || method === "Send" ? messageFromProto(request.message) : undefined,
      messageId: request.messageId ?? ""
    })
  } catch (error) {
    return Either.left(MalformedRequest.of(method, (error as Error).message))
  }
}

/** A health request's service name; a request that cannot be read is a `MalformedRequest`. */
export const decodeHealthRequest = (method: "Check" | "Watch", bytes: Buffer): Either.Either<string, MalformedRequest> => {
  try {
    checkTopLevelFields(bytes)
    return Either.right((healthService[method]!.requestDeserialize(bytes) as { service?: string }).service ?? "")
  } catch (error) {
    return Either.left(MalformedRequest.of(method, (error as Error).message))
  }
}

export const encodeResponse = (method: Method, response: object): Buffer => agentService[method]!.responseSerialize(response)

// ---- typed errors <-> status ------------------------------------------------------------------

const statusRoot = new protobuf.Root()
// The google/protobuf imports resolve to protobufjs's bundled copies (their Any keeps `type_url`).
statusRoot.resolvePath = (_origin, target) => (target.startsWith("google/protobuf/") ? target : `${protoDir}${target}`)
statusRoot.loadSync(["google/rpc/status.proto", agentProto])
const StatusType = statusRoot.lookupType("google.rpc.Status")
const AgentErrorType = statusRoot.lookupType("aixfx.agent.v1.AgentError")
const CallCostsType = statusRoot.lookupType("aixfx.agent.v1.CallCosts")
export const errorTypeUrl = "type.googleapis.com/aixfx.agent.v1.AgentError"
export const statusDetailsKey = "grpc-status-details-bin"
export const costsKey = "aixfx-costs-bin"

/** The gRPC code that says what kind of failure an error is; UNKNOWN for an agent's own failures. */
const codeByTag: { readonly [tag: string]: grpc.status } = {
  InvalidAgentName: Status.INVALID_ARGUMENT,
  PayloadDecodeError: Status.INVALID_ARGUMENT,
  InvalidRequest: Status.INVALID_ARGUMENT,
  ContextLengthExceeded: Status.INVALID_ARGUMENT,
  MalformedRequest: Status.INVALID_ARGUMENT,
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
  BudgetExceeded: Status.RESOURCE_EXHAUSTED,
  InternalError: Status.INTERNAL
}

export const statusCodeOf = (error: AgentError): grpc.status => codeByTag[error._tag] ?? Status.UNKNOWN

/** The tags of core's errors (the members of its union, nested unions flattened). */
const coreTags: ReadonlySet<string> = (() => {
  const tags = new Set<string>()
  const visit = (schema: unknown) => {
    const members = (schema as { members?: ReadonlyArray<unknown> }).members
    if (members !== undefined) return members.forEach(visit)
    tags.add((schema as { _tag: string })._tag)
  }
  visit(CoreAgentError)
  return tags
})()

/**
 * Errors to and from the wire, knowing core's errors and `errors`, an application's own. An error
 * whose schema is not known here is still sent (tag, message and its fields as JSON), and one
 * received with an unknown tag becomes `UnregisteredAgentError`.
 */
export interface ErrorCodec {
  /** The status a server ends a call with: code, message, the error itself in the details, and `trailers`. */
  readonly toStatus: (error: AgentError, trailers?: grpc.Metadata) => grpc.StatusObject
  /** The typed error a status carries in its details, if it carries one. */
  readonly fromDetails: (metadata: grpc.Metadata | undefined) => AgentError | undefined
}

/** The error schemas an application registers, by tag. */
export type ErrorRegistry = Map<string, ErrorSchema>

export const makeErrorCodec = (registry: ErrorRegistry): ErrorCodec => {
  const encodeCore = Schema.encodeUnknownOption(CoreAgentError)
  const decodeCore = Schema.decodeUnknownOption(CoreAgentError)
  const fieldsOf = (error: AgentError): JsonObject => {
    const schema = registry.get(error._tag)
    const encoded = coreTags.has(error._tag)
      ? encodeCore(error)
      : schema === undefined
      ? Option.none()
      : Schema.encodeUnknownOption(schema)(error)
    // An error whose schema is unknown here goes as its own fields.
    const fields = Option.getOrElse(encoded, () => ({ ...error, _tag: error._tag, message: error.message }))
    return toJson(fields) as JsonObject
  }

  const toStatus = (error: AgentError, trailers = new grpc.Metadata()): grpc.StatusObject => {
    const code = statusCodeOf(error)
    const detail = AgentErrorType.encode(
      AgentErrorType.fromObject({ tag: error._tag, message: error.message, fields: toStruct(fieldsOf(error)) })
    ).finish()
    const status = StatusType.encode(
      StatusType.fromObject({ code, message: error.message, details: [{ type_url: errorTypeUrl, value: detail }] })
    ).finish()
    trailers.set(statusDetailsKey, Buffer.from(status))
    return { code, details: error.message, metadata: trailers }
  }

  const fromDetails = (metadata: grpc.Metadata | undefined): AgentError | undefined => {
    const [raw] = metadata?.get(statusDetailsKey) ?? []
    if (!(raw instanceof Buffer)) return undefined
    try {
      const status = StatusType.toObject(StatusType.decode(raw)) as { details?: Array<{ type_url: string; value: Uint8Array }> }
      const detail = status.details?.find((d) => d.type_url === errorTypeUrl)
      if (detail === undefined) return undefined
      const decoded = AgentErrorType.toObject(AgentErrorType.decode(detail.value), { oneofs: true, enums: String }) as {
        tag: string
        message?: string
        fields?: ProtoStruct
      }
      const fields = fromStruct(decoded.fields)
      const input = { ...fields, _tag: decoded.tag }
      const schema = registry.get(decoded.tag)
      const known = coreTags.has(decoded.tag)
        ? decodeCore(input)
        : schema === undefined
        ? Option.none()
        : Schema.decodeUnknownOption(schema)(input) as Option.Option<AgentError>
      return Option.getOrElse(known, () =>
        new UnregisteredAgentError({
          tag: decoded.tag,
          fields,
          message: decoded.message ?? (typeof fields["message"] === "string" ? fields["message"] : decoded.tag)
        }))
    } catch {
      // Details that are not a google.rpc.Status: not ours to read.
      return undefined
    }
  }
  return { toStatus, fromDetails }
}

export interface FailedCall {
  readonly agent: string
  readonly endpoint: string
  readonly timeoutMs: number | undefined
}

/**
 * The typed error for a failed call: the peer's own error when it sent one, else one made from
 * the status code (the transport failed, or a non-aixfx server answered).
 */
export const errorFromStatus = (codec: ErrorCodec, error: grpc.ServiceError, call: FailedCall): AgentError => {
  const typed = codec.fromDetails(error.metadata)
  // The serving node ends a call at the caller's deadline with its own figure of the time left;
  // the caller's own timeout is the one to name.
  if (typed?._tag === "CallTimeout" && typed.agent === call.agent && error.code === Status.DEADLINE_EXCEEDED && call.timeoutMs !== undefined) {
    return CallTimeout.of(call.agent, call.timeoutMs)
  }
  if (typed !== undefined) return typed
  const where = `agent "${call.agent}" at ${call.endpoint}`
  switch (error.code) {
    case Status.DEADLINE_EXCEEDED:
      return CallTimeout.of(call.agent, call.timeoutMs ?? 0)
    case Status.UNAUTHENTICATED:
      return new Unauthenticated({ endpoint: call.endpoint, message: `Call to ${where} was rejected: ${error.details}` })
  }
  return new TransportError({
    agent: call.agent,
    endpoint: call.endpoint,
    code: Status[error.code] ?? String(error.code),
    mayHaveRun: !wasNotDelivered(error),
    message: `Call to ${where} failed: ${Status[error.code] ?? error.code}: ${error.details}`
  })
}

/** `MessageTooLarge` for a message of `sizeBytes` to or from `agent`, over `limitBytes`. */
export const tooLarge = (agent: string, sizeBytes: number, limitBytes: number, direction: "to" | "from") =>
  new MessageTooLarge({
    agent,
    sizeBytes,
    limitBytes,
    message: `The message ${direction} agent "${agent}" is ${sizeBytes} bytes; the limit is ${limitBytes} bytes`
  })

/**
 * True when the call never reached a server (no connection could be made), so another endpoint
 * may take it without risking a second execution. A call cut off mid-way is not retried.
 */
export const wasNotDelivered = (error: grpc.ServiceError): boolean =>
  error.code === Status.UNAVAILABLE && error.metadata?.get(statusDetailsKey).length === 0 &&
  /No connection established|ECONNREFUSED|Failed to connect/.test(error.details)

// ---- costs (trailer aixfx-costs-bin) ------------------------------------------------------------

const orUndefined = (value: string | undefined): string | undefined => (value === undefined || value === "" ? undefined : value)

/** Ledger entries as a `CallCosts` message (the trailer's, and the `CallCosts` reply). */
export const callCostsOf = (entries: ReadonlyArray<CostLedger.Entry>) => ({
  entries: entries.map((e) => ({
    runId: e.runId ?? "",
    workflow: e.workflow ?? "",
    agent: e.agent ?? "",
    patternPath: [...e.patternPath],
    provider: e.provider,
    model: e.model,
    inputTokens: e.usage.inputTokens,
    outputTokens: e.usage.outputTokens,
    cachedInputTokens: e.usage.cachedInputTokens,
    cacheWriteTokens: e.usage.cacheWriteTokens,
    cacheWrite_1hTokens: e.usage.cacheWrite1hTokens,
    reasoningTokens: e.usage.reasoningTokens,
    ...(e.costUsd === null ? {} : { costUsd: e.costUsd }),
    durationMs: e.durationMs,
    timestamp: e.timestamp,
    error: e.error ?? "",
    pricesAsOf: e.pricesAsOf ?? ""
  }))
})

/** The ledger entries of a served call, in the trailer the caller reads them from. */
export const costsTrailer = (entries: ReadonlyArray<CostLedger.Entry>, trailers = new grpc.Metadata()): grpc.Metadata => {
  if (entries.length === 0) return trailers
  trailers.set(costsKey, Buffer.from(CallCostsType.encode(CallCostsType.fromObject(callCostsOf(entries))).finish()))
  return trailers
}

interface WireCostEntry {
  runId?: string
  workflow?: string
  agent?: string
  patternPath?: Array<string>
  provider?: string
  model?: string
  inputTokens?: number
  outputTokens?: number
  cachedInputTokens?: number
  cacheWriteTokens?: number
  cacheWrite_1hTokens?: number
  reasoningTokens?: number
  costUsd?: number
  durationMs?: number
  timestamp?: number
  error?: string
  pricesAsOf?: string
}

/** The ledger entries a call's trailers carry (none from a node that sends none, or garbage). */
export const costsFromTrailers = (metadata: grpc.Metadata | undefined): ReadonlyArray<CostLedger.Entry> => {
  const [raw] = metadata?.get(costsKey) ?? []
  if (!(raw instanceof Buffer)) return []
  try {
    return costsFromCallCosts(CallCostsType.toObject(CallCostsType.decode(raw), { longs: Number }))
  } catch {
    return []
  }
}

/** The ledger entries of a decoded `CallCosts` message. */
export const costsFromCallCosts = (callCosts: { entries?: Array<WireCostEntry> }): ReadonlyArray<CostLedger.Entry> => {
  const { entries = [] } = callCosts
  return entries.map((e): CostLedger.Entry => {
    const error = orUndefined(e.error)
    const pricesAsOf = orUndefined(e.pricesAsOf)
    return {
      runId: orUndefined(e.runId),
      workflow: orUndefined(e.workflow),
      agent: orUndefined(e.agent),
      patternPath: e.patternPath ?? [],
      provider: e.provider ?? "",
      model: e.model ?? "",
      usage: Usage.make({
        inputTokens: e.inputTokens ?? 0,
        outputTokens: e.outputTokens ?? 0,
        cachedInputTokens: e.cachedInputTokens ?? 0,
        cacheWriteTokens: e.cacheWriteTokens ?? 0,
        cacheWrite1hTokens: e.cacheWrite_1hTokens ?? 0,
        reasoningTokens: e.reasoningTokens ?? 0
      }),
      costUsd: e.costUsd ?? null,
      ...(pricesAsOf === undefined ? {} : { pricesAsOf }),
      durationMs: e.durationMs ?? 0,
      timestamp: e.timestamp ?? 0,
      ...(error === undefined ? {} : { error })
    }
  })
}
