/**
 * The calling half of a DistributedRuntime node: one grpc-js channel per peer endpoint (created
 * on first use, reconnecting by itself after a peer restarts), calls that carry the caller's
 * deadline, token, trace and call context, and cancel on interruption, and failover across the
 * endpoints of an agent.
 */
import * as grpc from "@grpc/grpc-js"
import { Effect, Either, Redacted, type Scope, Stream } from "effect"
import type { AgentError } from "../../AgentError.js"
import * as CostLedger from "../../CostLedger.js"
import type { Message } from "../../Message.js"
import {
  agentService,
  costsFromCallCosts,
  costsFromTrailers,
  type ErrorCodec,
  errorFromStatus,
  healthService,
  messageFromProto,
  messageToProto,
  type Method,
  type ProtoMessage,
  tooLarge,
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
  readonly errors: ErrorCodec
}

/**
 * How long a cancelled call waits for its node to say what it spent: the node answers as soon as
 * the call has ended there (about a round trip); a frozen node would otherwise hold the caller.
 */
const cancelledCostsWaitMs = 500

export type StreamEvent =
  | { readonly _tag: "Progress"; readonly agent: string; readonly stage: string; readonly detail: string }
  | { readonly _tag: "Token"; readonly agent: string; readonly text: string }
  | { readonly _tag: "Result"; readonly message: Message }

/** A streamed call's event, or the costs its trailers carried (recorded by the consumer, never shown). */
type StreamItem = StreamEvent | { readonly _tag: "Costs"; readonly trailers: grpc.Metadata | undefined }

interface Target {
  readonly agent: string
  readonly endpoint: string
  readonly timeoutMs: number | undefined
  /** The id of the message the request carries (an Execute call's: it names the call for `CallCosts`). */
  readonly messageId?: string | undefined
}

/** A failure as seen on one endpoint: the raw status (failover decides on it) or a local check. */
type Attempt<A> = Effect.Effect<A, RpcFailed | AgentError>
interface RpcFailed {
  readonly _tag: "RpcFailed"
  readonly status: grpc.ServiceError
}
interface Reply {
  readonly bytes: Buffer
  readonly trailers: grpc.Metadata
}
const isRpcFailed = (failure: unknown): failure is RpcFailed => (failure as { _tag?: unknown })._tag === "RpcFailed"

export interface Peers {
  /** Calls `method` on the first endpoint that takes it, starting with the next in rotation. */
  readonly unary: <A>(
    endpoints: ReadonlyArray<string>,
    method: Method,
    request: object,
    target: { readonly agent: string; readonly timeoutMs: number | undefined }
  ) => Effect.Effect<A, AgentError>
  /** `ExecuteStream` with the endpoint choice, failover and deadline of `unary`. */
  readonly stream: (
    endpoints: ReadonlyArray<string>,
    agent: string,
    message: Message,
    timeoutMs: number | undefined
  ) => Stream.Stream<StreamEvent, AgentError>
  /** The standard health check of one service (or agent name) on one endpoint. */
  readonly health: (endpoint: string, service: string) => Effect.Effect<boolean>
}

export const make = (options: ClientOptions): Effect.Effect<Peers, never, Scope.Scope> =>
  Effect.gen(function* () {
    const clients = new Map<string, grpc.Client>()
    const rotation = new Map<string, number>()
    // Once the channels are closed, a cancelled call asks nothing more (it would open one again).
    let closed = false
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
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
      return bytes.length <= options.maxMessageBytes ? Either.right(bytes) : Either.left(tooLarge(agent, bytes.length, options.maxMessageBytes, "to"))
    }

    /** A reply's bytes checked against this side's size limit, then decoded. */
    const deserialize = <A>(method: Method, bytes: Buffer, agent: string): Either.Either<A, AgentError> =>
      bytes.length <= options.maxMessageBytes
        ? Either.right(agentService[method]!.responseDeserialize(bytes) as A)
        : Either.left(tooLarge(agent, bytes.length, options.maxMessageBytes, "from"))

    /** Records a served call's costs into the caller's ledger (when it has one). */
    const recordEntries = (entries: ReadonlyArray<CostLedger.Entry>): Effect.Effect<void> =>
      entries.length === 0 ? Effect.void : Effect.forEach(entries, CostLedger.recordIfPresent, { discard: true })

    /** Records the costs a served call sent back in its trailers. */
    const recordCosts = (trailers: grpc.Metadata | undefined): Effect.Effect<void> => recordEntries(costsFromTrailers(trailers))

    /**
     * The costs of a cancelled Execute call (it got no trailers), asked of its node by the call's
     * agent and message id, recorded into the caller's ledger. Bounded: a node that does not answer
     * within `cancelledCostsWaitMs` (a frozen one) keeps them.
     */
    const recordCancelledCosts = (endpoint: string, agent: string, messageId: string): Effect.Effect<void> =>
      Effect.flatMap(
        Effect.async<ReadonlyArray<CostLedger.Entry>>((resume) => {
          const definition = agentService["CallCosts"]!
          const call = clientFor(endpoint).makeUnaryRequest<Buffer, Buffer>(
            definition.path,
            (b) => b,
            (b) => b,
            definition.requestSerialize({ agent, messageId }),
            metadataOf({}),
            callOptions(cancelledCostsWaitMs),
            (error, response) => {
              if (error !== null || response === undefined) return resume(Effect.succeed([]))
              try {
                resume(Effect.succeed(costsFromCallCosts(definition.responseDeserialize(response) as Parameters<typeof costsFromCallCosts>[0])))
              } catch {
                resume(Effect.succeed([]))
              }
            }
          )
          return Effect.sync(() => call.cancel())
        }),
        recordEntries
      )

    /**
     * One request to one endpoint, a single effect on the caller's fiber: the caller is in flight
     * while the request is on the wire (closing the runtime interrupts it, which cancels the request).
     * It settles on the call's status, whose trailers carry the costs of the call; an Execute call
     * the caller cancels asks its node for them instead (see `recordCancelledCosts`).
     */
    const attempt = <A>(method: Method, bytes: Buffer, target: Target): Attempt<A> =>
      Effect.withFiberRuntime<Reply, RpcFailed>((fiber) =>
        withOutgoingHeaders(fiber, (headers) =>
          Effect.async<Reply, RpcFailed>((resume) => {
            const definition = agentService[method]!
            const inFlightCall = options.inFlight.enter(fiber)
            let onTheWire = true
            const landed = () => {
              if (onTheWire) options.inFlight.leave(inFlightCall)
              onTheWire = false
            }
            let reply: Buffer | undefined
            const call = clientFor(target.endpoint).makeUnaryRequest<Buffer, Buffer>(
              definition.path,
              (b) => b,
              (b) => b,
              bytes,
              metadataOf(headers),
              callOptions(target.timeoutMs),
              (error, response) => {
                if (error !== null) {
                  landed()
                  resume(Effect.fail({ _tag: "RpcFailed", status: error } as const))
                } else reply = response
              }
            )
            call.on("status", (status: grpc.StatusObject) => {
              if (reply === undefined) return
              landed()
              resume(Effect.succeed({ bytes: reply, trailers: status.metadata }))
            })
            return Effect.suspend(() => {
              const wasOnTheWire = onTheWire
              landed()
              call.cancel()
              return wasOnTheWire && method === "Execute" && target.messageId !== undefined && !closed
                ? recordCancelledCosts(target.endpoint, target.agent, target.messageId)
                : Effect.void
            })
          })
        )).pipe(
          Effect.tapBoth({
            onFailure: (failure) => recordCosts(failure.status.metadata),
            onSuccess: (reply) => recordCosts(reply.trailers)
          }),
          Effect.flatMap((reply) => deserialize<A>(method, reply.bytes, target.agent))
        )

    const next = (endpoints: ReadonlyArray<string>): ReadonlyArray<string> => {
      if (endpoints.length === 1) return endpoints
      const key = endpoints.join(",")
      const start = rotation.get(key) ?? 0
      rotation.set(key, (start + 1) % endpoints.length)
      return [...endpoints.slice(start), ...endpoints.slice(0, start)]
    }

    /**
     * Tries `attempt` on the endpoints in turn, starting with the next in rotation: the next one
     * only when this one surely did not get the call.
     */
    const inTurn = <A, E, R>(
      endpoints: ReadonlyArray<string>,
      target: { readonly agent: string; readonly timeoutMs: number | undefined },
      attemptOn: (endpoint: string) => Effect.Effect<A, RpcFailed | E, R>
    ): Effect.Effect<A, AgentError | E, R> => {
      const order = next(endpoints)
      const from = (index: number): Effect.Effect<A, AgentError | E, R> => {
        const endpoint = order[index]!
        return Effect.catchAll(attemptOn(endpoint), (failure) => {
          if (!isRpcFailed(failure)) return Effect.fail(failure as E)
          if (index === order.length - 1 || !wasNotDelivered(failure.status)) {
            return Effect.fail(errorFromStatus(options.errors, failure.status, { ...target, endpoint }))
          }
          return Effect.zipRight(Effect.annotateCurrentSpan("aixfx.failover.from", endpoint), from(index + 1))
        })
      }
      return from(0)
    }

    const unary = <A>(
      endpoints: ReadonlyArray<string>,
      method: Method,
      request: object,
      target: { readonly agent: string; readonly timeoutMs: number | undefined }
    ): Effect.Effect<A, AgentError> => {
      const bytes = serialize(method, request, target.agent)
      if (Either.isLeft(bytes)) return Effect.fail(bytes.left)
      const messageId = (request as { readonly message?: { readonly id?: string } }).message?.id
      return inTurn(endpoints, target, (endpoint) => attempt<A>(method, bytes.right, { ...target, endpoint, messageId }))
    }

    /**
     * One streamed call to one endpoint. It fails as `RpcFailed` (so that it may go to the next
     * endpoint) only before its first event; after that, as the typed error. The costs its trailers
     * carry come as an item of the stream, recorded by the stream's consumer: a ledger may be async
     * (one in a database), so it is never run from a grpc-js callback.
     */
    const streamFrom = (
      endpoint: string,
      bytes: Buffer,
      headers: Record<string, string>,
      target: { readonly agent: string; readonly timeoutMs: number | undefined }
    ): Stream.Stream<StreamItem, RpcFailed | AgentError> =>
      Stream.async<StreamItem, RpcFailed | AgentError>((emit) => {
        const definition = agentService["ExecuteStream"]!
        let started = false
        const call = clientFor(endpoint).makeServerStreamRequest<Buffer, Buffer>(
          definition.path,
          (b) => b,
          (b) => b,
          bytes,
          metadataOf(headers),
          callOptions(target.timeoutMs)
        )
        call.on("data", (data: Buffer) => {
          started = true
          const event = deserialize<WireEvent>("ExecuteStream", data, target.agent)
          if (Either.isLeft(event)) {
            call.cancel()
            return void emit.fail(event.left)
          }
          // Read no further until the consumer has taken the event: HTTP/2 flow control then
          // holds the serving node's writes (backpressure end to end, nothing piles up here).
          call.pause()
          void emit.single(fromWireEvent(event.right)).then(() => call.resume())
        })
        call.on("error", (error: grpc.ServiceError) => {
          void emit.single({ _tag: "Costs", trailers: error.metadata })
          void emit.fail(started ? errorFromStatus(options.errors, error, { ...target, endpoint }) : { _tag: "RpcFailed", status: error })
        })
        call.on("status", (status: grpc.StatusObject) => {
          if (status.code !== grpc.status.OK) return
          void emit.single({ _tag: "Costs", trailers: status.metadata })
          void emit.end()
        })
        return Effect.sync(() => call.cancel())
      }, 16)

    const stream = (
      endpoints: ReadonlyArray<string>,
      agent: string,
      message: Message,
      timeoutMs: number | undefined
    ): Stream.Stream<StreamEvent, AgentError> =>
      Stream.unwrap(
        Effect.gen(function* () {
          const target = { agent, timeoutMs }
          const bytes = yield* serialize("ExecuteStream", { agent, message: messageToProto(message) }, agent)
          const headers = yield* TraceContext.inject
          const order = next(endpoints)
          // A streamed call fails as RpcFailed only before its first event: nothing was emitted
          // yet, so it may go on to the next endpoint when the first surely did not get it.
          const from = (index: number): Stream.Stream<StreamItem, AgentError> =>
            Stream.catchAll(streamFrom(order[index]!, bytes, headers, target), (failure) => {
              if (!isRpcFailed(failure)) return Stream.fail(failure)
              if (index < order.length - 1 && wasNotDelivered(failure.status)) return from(index + 1)
              return Stream.fail(errorFromStatus(options.errors, failure.status, { ...target, endpoint: order[index]! }))
            })
          // The costs are recorded on the consumer's fiber, into the caller's ledger.
          return from(0).pipe(
            Stream.tap((item) => (item._tag === "Costs" ? recordCosts(item.trailers) : Effect.void)),
            Stream.filter((item): item is StreamEvent => item._tag !== "Costs")
          )
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
          metadataOf({}),
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

