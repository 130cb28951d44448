/**
 * The calling half of a DistributedRuntime node: one grpc-js channel per peer endpoint (created
 * on first use, reconnecting by itself after a peer restarts), calls that carry the caller's
 * deadline, token, trace and call context, and cancel on interruption, and failover across the
 * endpoints of an agent.
 */
import * as grpc from "@grpc/grpc-js"
import { Effect, Either, Redacted, type Scope, Stream } from "effect"
import { type AgentError, MessageTooLarge } from "../../AgentError.js"
import type { Message } from "../../Message.js"
import {
  agentService,
  errorFromStatus,
  healthService,
  messageFromProto,
  messageToProto,
  type ProtoMessage,
  wasNotDelivered
} from "./codec.js"
import * as TraceContext from "../../TraceContext.js"
import type * as InFlightCalls from "../inFlightCalls.js"
import { withOutgoingHeaders } from "./metadata.js"

export interface ClientOptions {
  readonly credentials: grpc.ChannelCredentials
  readonly channelOptions: grpc.ChannelOptions
  readonly token: Redacted.Redacted<string> | undefined
  readonly maxMessageBytes: number
  /** The runtime's calls in flight: a caller is in there while its request is on the wire. */
  readonly inFlight: InFlightCalls.InFlightCalls
}

export type StreamEvent =
  | { readonly _tag: "Progress"; readonly agent: string; readonly stage: string; readonly detail: string }
  | { readonly _tag: "Token"; readonly agent: string; readonly text: string }
  | { readonly _tag: "Result"; readonly message: Message }

type Method = "Execute" | "ExecuteStream" | "ListAgents" | "Send" | "Receive"

interface Target {
  readonly agent: string
  readonly endpoint: string
  readonly timeoutMs: number | undefined
}

/** A failure as seen on one endpoint: the raw status (failover decides on it) or a local check. */
type Attempt<A> = Effect.Effect<A, RpcFailed | AgentError>
interface RpcFailed {
  readonly _tag: "RpcFailed"
  readonly status: grpc.ServiceError
}

export interface Peers {
  /** Calls `method` on the first endpoint that takes it, starting with the next in rotation. */
  readonly unary: <A>(
    endpoints: ReadonlyArray<string>,
    method: Method,
    request: object,
    target: { readonly agent: string; readonly timeoutMs: number | undefined }
  ) => Effect.Effect<A, AgentError>
  readonly stream: (endpoint: string, agent: string, message: Message) => Stream.Stream<StreamEvent, AgentError>
  /** The standard health check of one service (or agent name) on one endpoint. */
  readonly health: (endpoint: string, service: string) => Effect.Effect<boolean>
}

export const make = (options: ClientOptions): Effect.Effect<Peers, never, Scope.Scope> =>
  Effect.gen(function* () {
    const clients = new Map<string, grpc.Client>()
    const rotation = new Map<string, number>()
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const client of clients.values()) client.close()
        clients.clear()
      })
    )

    const clientFor = (endpoint: string): grpc.Client => {
      let client = clients.get(endpoint)
      if (client === undefined) {
        client = new grpc.Client(endpoint, options.credentials, options.channelOptions)
        clients.set(endpoint, client)
      }
      return client
    }

    const metadataOf = (headers: Record<string, string>): grpc.Metadata => {
      const md = new grpc.Metadata()
      for (const [key, value] of Object.entries(headers)) md.set(key, value)
      if (options.token !== undefined) md.set("authorization", `Bearer ${Redacted.value(options.token)}`)
      return md
    }

    const callOptions = (timeoutMs: number | undefined): grpc.CallOptions =>
      timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs }

    /** The request, serialized and checked against the size limit before anything is sent. */
    const serialize = (method: Method, request: object, agent: string): Either.Either<Buffer, AgentError> => {
      const bytes = agentService[method]!.requestSerialize(request)
      return bytes.length <= options.maxMessageBytes
        ? Either.right(bytes)
        : Either.left(
          new MessageTooLarge({
            agent,
            sizeBytes: bytes.length,
            limitBytes: options.maxMessageBytes,
            message: `The message to agent "${agent}" is ${bytes.length} bytes; the limit is ${options.maxMessageBytes} bytes`
          })
        )
    }

    /**
     * One request to one endpoint, a single effect on the caller's fiber: the caller is in flight
     * while the request is on the wire (closing the runtime interrupts it, which cancels the request).
     */
    const attempt = <A>(method: Method, bytes: Buffer, target: Target): Attempt<A> =>
      Effect.withFiberRuntime((fiber) =>
        withOutgoingHeaders(fiber, (headers) =>
          Effect.async<A, RpcFailed>((resume) => {
            const definition = agentService[method]!
            const inFlightCall = options.inFlight.enter(fiber)
            let onTheWire = true
            const landed = () => {
              if (onTheWire) options.inFlight.leave(inFlightCall)
              onTheWire = false
            }
            const call = clientFor(target.endpoint).makeUnaryRequest<Buffer, A>(
              definition.path,
              (b) => b,
              definition.responseDeserialize as (b: Buffer) => A,
              bytes,
              metadataOf(headers),
              callOptions(target.timeoutMs),
              (error, response) => {
                landed()
                resume(error === null ? Effect.succeed(response as A) : Effect.fail({ _tag: "RpcFailed", status: error } as const))
              }
            )
            return Effect.sync(() => {
              landed()
              call.cancel()
            })
          })
        ))

    const next = (endpoints: ReadonlyArray<string>): ReadonlyArray<string> => {
      if (endpoints.length === 1) return endpoints
      const key = endpoints.join(",")
      const start = rotation.get(key) ?? 0
      rotation.set(key, (start + 1) % endpoints.length)
      return [...endpoints.slice(start), ...endpoints.slice(0, start)]
    }

    const unary = <A>(
      endpoints: ReadonlyArray<string>,
      method: Method,
      request: object,
      target: { readonly agent: string; readonly timeoutMs: number | undefined }
    ): Effect.Effect<A, AgentError> => {
      const bytes = serialize(method, request, target.agent)
      if (Either.isLeft(bytes)) return Effect.fail(bytes.left)
      const order = next(endpoints)
      // Endpoints in turn: the next one only when this one surely did not get the call.
      const from = (index: number): Effect.Effect<A, AgentError> => {
        const endpoint = order[index]!
        return Effect.catchAll(attempt<A>(method, bytes.right, { ...target, endpoint }), (failure) => {
          if (failure._tag !== "RpcFailed") return Effect.fail(failure)
          if (index === order.length - 1 || !wasNotDelivered(failure.status)) {
            return Effect.fail(errorFromStatus(failure.status, { ...target, endpoint }))
          }
          return Effect.zipRight(Effect.annotateCurrentSpan("aixfx.failover.from", endpoint), from(index + 1))
        })
      }
      return from(0)
    }

    const stream = (endpoint: string, agent: string, message: Message): Stream.Stream<StreamEvent, AgentError> =>
      Stream.unwrap(
        Effect.gen(function* () {
          const request = { agent, message: messageToProto(message) }
          const bytes = yield* serialize("ExecuteStream", request, agent)
          const md = metadataOf(yield* TraceContext.inject)
          return Stream.async<StreamEvent, AgentError>((emit) => {
            const definition = agentService["ExecuteStream"]!
            const call = clientFor(endpoint).makeServerStreamRequest<Buffer, WireEvent>(
              definition.path,
              (b) => b,
              definition.responseDeserialize as (b: Buffer) => WireEvent,
              bytes,
              md,
              {}
            )
            call.on("data", (event: WireEvent) => void emit.single(fromWireEvent(event)))
            call.on("error", (error: grpc.ServiceError) =>
              void emit.fail(errorFromStatus(error, { agent, endpoint, timeoutMs: undefined })))
            call.on("end", () => void emit.end())
            return Effect.sync(() => call.cancel())
          })
        })
      )

    const health = (endpoint: string, service: string): Effect.Effect<boolean> =>
      Effect.async<boolean>((resume) => {
        const definition = healthService["Check"]!
        const call = clientFor(endpoint).makeUnaryRequest<object, { status: string }>(
          definition.path,
          definition.requestSerialize,
          definition.responseDeserialize as (b: Buffer) => { status: string },
          { service },
          new grpc.Metadata(),
          callOptions(2_000),
          (error, response) => resume(Effect.succeed(error === null && response?.status === "SERVING"))
        )
        return Effect.sync(() => call.cancel())
      })

    return { unary, stream, health }
  })

interface WireEvent {
  readonly event?: "progress" | "token" | "result"
  readonly progress?: { readonly agent: string; readonly stage: string; readonly detail: string }
  readonly token?: { readonly agent: string; readonly text: string }
  readonly result?: ProtoMessage
}

const fromWireEvent = (event: WireEvent): StreamEvent => {
  switch (event.event) {
    case "progress":
      return { _tag: "Progress", ...event.progress! }
    case "token":
      return { _tag: "Token", ...event.token! }
    default:
      return { _tag: "Result", message: messageFromProto(event.result) }
  }
}

