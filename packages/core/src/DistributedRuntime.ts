/**
 * The AgentRuntime across processes, over gRPC (the published `proto/aixfx/agent/v1/agent.proto`).
 * A node keeps its own agents in a LocalRuntime and serves them on `listen`; agents named in
 * `peers` are called on the nodes that host them. A program written against `AgentRuntime` runs
 * unchanged: errors keep their types across the wire (an application's own too, see `errors`), a
 * caller's timeout becomes the gRPC deadline (and no remote call goes without one), interrupting a
 * caller cancels the call and interrupts the agent on the serving node, the trace and call context
 * travel with every call, and the costs of its model calls come back with the reply.
 */
import * as grpc from "@grpc/grpc-js"
import {
  Config,
  type ConfigError,
  Context,
  Data,
  Duration,
  Effect,
  FiberRef,
  Layer,
  Option,
  Redacted,
  type Scope,
  Stream
} from "effect"
import { type Agent, isValidName } from "./Agent.js"
import * as CallContext from "./CallContext.js"
import { type AgentError, AgentNotFound, CallTimeout, type ErrorSchema, InvalidAgentName, RuntimeStopped } from "./AgentError.js"
import { AgentRuntime, type AgentInfo, type CallOptions, type MailboxError, type RegisterError, type Service } from "./AgentRuntime.js"
import * as Grpc from "./internal/grpc/client.js"
import { type ErrorRegistry, makeErrorCodec, messageFromProto, messageToProto, type ProtoMessage } from "./internal/grpc/codec.js"
import { type CallEvent, currentEventSink } from "./internal/grpc/events.js"
import { serve } from "./internal/grpc/server.js"
import * as FanOut from "./FanOut.js"
import * as CallPermits from "./internal/callPermits.js"
import * as InFlightCalls from "./internal/inFlightCalls.js"
import * as LocalRuntime from "./LocalRuntime.js"
import type { Message } from "./Message.js"
import * as Traced from "./Traced.js"

export type { StreamEvent } from "./internal/grpc/client.js"
/** A `progress` or `token` event, as `withEvents` hands it over. */
export type { CallEvent } from "./internal/grpc/events.js"

export interface TlsOptions {
  /** PEM of the CA that signed the other side's certificate (a server's, or a client's under mTLS). */
  readonly ca?: string | Buffer
  /** PEM certificate chain of this node: required to serve, and to call under mTLS. */
  readonly cert?: string | Buffer
  /** PEM private key matching `cert`. */
  readonly key?: string | Buffer
  /** mTLS: the server rejects callers without a certificate signed by `ca`. */
  readonly requireClientCert?: boolean
}

export interface Options extends LocalRuntime.Options {
  /** `host:port` to serve this node's agents on (port 0 picks a free one); omit for a caller only. */
  readonly listen?: string
  /**
   * Agent name → the endpoint(s) of the node(s) hosting it; several are load balanced (round
   * robin) with failover when one cannot be reached. The key `"*"` catches every other name.
   */
  readonly peers?: { readonly [agent: string]: string | ReadonlyArray<string> }
  /** A bearer token: sent on every call, and required of every caller when serving. */
  readonly auth?: { readonly token: Redacted.Redacted<string> | Config.Config<Redacted.Redacted<string>> }
  /** TLS (and mTLS with `requireClientCert`); plaintext when omitted. */
  readonly tls?: TlsOptions
  /** Largest message sent or accepted, in bytes (default 4 MiB). */
  readonly maxMessageBytes?: number
  /**
   * How long calls in flight may run on when the node stops, before they are cancelled (default
   * 5 s): whether its scope is closed by hand or the program is interrupted (SIGTERM, runMain).
   */
  readonly shutdownGracePeriod?: Duration.DurationInput
  /**
   * The deadline of a call to a peer when neither the call nor `callTimeout` gives one (default
   * 5 minutes): no remote call waits forever.
   */
  readonly defaultRemoteTimeout?: Duration.DurationInput
  /**
   * HTTP/2 keepalive pings on every connection: a peer that does not answer one within `timeout`
   * (frozen, or the connection half-open) is dropped and its calls fail with `TransportError`
   * (defaults: every 30 s, 10 s to answer).
   */
  readonly keepalive?: { readonly interval?: Duration.DurationInput; readonly timeout?: Duration.DurationInput }
  /**
   * An application's own error schemas (`Schema.TaggedError`s; see `CustomAgentErrors`): errors of
   * these tags are rebuilt as the same class when a peer fails with them. Agents registered here
   * add theirs (`Agent.make({ errors })`).
   */
  readonly errors?: ReadonlyArray<ErrorSchema>
}

/** The node could not start: the address is taken, the TLS material is unusable, ... */
export class ServeError extends Data.TaggedError("ServeError")<{ readonly listen: string; readonly message: string }> {}

export interface NodeService {
  /** Where this node serves (`host:port` with the real port), if it serves. */
  readonly endpoint: string | undefined
  /**
   * Calls an agent through `ExecuteStream`: its progress and token events as they happen, then
   * the reply (`Result`). Local agents are streamed too when the node serves. Endpoints are chosen,
   * failed over and given a deadline as for `call`.
   */
  readonly executeStream: (name: string, message: Message, options?: CallOptions) => Stream.Stream<Grpc.StreamEvent, AgentError>
}

export class Node extends Context.Tag("@aixfx/core/DistributedRuntime/Node")<Node, NodeService>() {}

/** Sends `event` to the streamed call this fiber serves, if any, naming the current agent. */
const report = (event: (agent: string) => CallEvent): Effect.Effect<void> =>
  Effect.flatMap(FiberRef.get(currentEventSink), (sink) =>
    Option.match(sink, {
      onNone: () => Effect.void,
      onSome: (emit) => Effect.flatMap(CallContext.get, (context) => emit(event(context.agent ?? "")))
    }))

/** Reports a step of the current streamed call (a no-op outside `ExecuteStream`). */
export const progress = (stage: string, detail = ""): Effect.Effect<void> =>
  report((agent) => ({ _tag: "Progress", agent, stage, detail }))

/** Reports generated text of the current streamed call (a no-op outside `ExecuteStream`). */
export const token = (text: string): Effect.Effect<void> => report((agent) => ({ _tag: "Token", agent, text }))

/**
 * Runs `effect` with its `progress` and `token` events sent to `emit` (what a streamed gRPC call
 * does; other servers, such as MCP, forward them their own way).
 */
export const withEvents =
  (emit: (event: CallEvent) => Effect.Effect<void>) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(effect, currentEventSink, Option.some(emit))

const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
const DEFAULT_REMOTE_TIMEOUT = Duration.minutes(5)

const resolveToken = (options: Options): Effect.Effect<Redacted.Redacted<string> | undefined, ConfigError.ConfigError> => {
  const token = options.auth?.token
  if (token === undefined) return Effect.succeed(undefined)
  return Redacted.isRedacted(token) ? Effect.succeed(token) : token
}

/** How far past `maxMessageBytes` a message is still read, to be refused with a typed error. */
const SIZE_CEILING_MARGIN = 16 * 1024 * 1024

/**
 * Options of the channels and of the server. Both sides check sizes against `maxMessageBytes`
 * themselves, to answer with `MessageTooLarge`; gRPC's own limit is a hard ceiling 16 MiB above
 * it, past which a message is refused unread (a bare RESOURCE_EXHAUSTED: `TransportError`).
 */
const channelOptions = (maxMessageBytes: number, keepalive: Options["keepalive"]): grpc.ChannelOptions => ({
  "grpc.max_send_message_length": maxMessageBytes + SIZE_CEILING_MARGIN,
  "grpc.max_receive_message_length": maxMessageBytes + SIZE_CEILING_MARGIN,
  "grpc.keepalive_time_ms": Duration.toMillis(keepalive?.interval ?? "30 seconds"),
  "grpc.keepalive_timeout_ms": Duration.toMillis(keepalive?.timeout ?? "10 seconds"),
  "grpc.keepalive_permit_without_calls": 1,
  // Come back quickly after a peer restarts (grpc-js backs off up to 120 s by default).
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1_000,
  // Own connections, closed with the runtime (the shared pool would keep them open for a while).
  "grpc.use_local_subchannel_pool": 1
})

const asBuffer = (pem: string | Buffer | undefined): Buffer | null => (pem === undefined ? null : Buffer.from(pem))

const serverCredentials = (listen: string, tls: TlsOptions | undefined): Effect.Effect<grpc.ServerCredentials, ServeError> => {
  if (tls === undefined) return Effect.succeed(grpc.ServerCredentials.createInsecure())
  const { cert, key } = tls
  if (cert === undefined || key === undefined) {
    return Effect.fail(new ServeError({ listen, message: `Serving TLS on ${listen} needs both tls.cert and tls.key` }))
  }
  return Effect.try({
    try: () =>
      grpc.ServerCredentials.createSsl(
        asBuffer(tls.ca),
        [{ cert_chain: Buffer.from(cert), private_key: Buffer.from(key) }],
        tls.requireClientCert === true
      ),
    catch: (error) => new ServeError({ listen, message: `Unusable TLS material for ${listen}: ${(error as Error).message}` })
  })
}

const channelCredentials = (tls: TlsOptions | undefined): grpc.ChannelCredentials =>
  tls === undefined
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(asBuffer(tls.ca), asBuffer(tls.key), asBuffer(tls.cert))

const mailboxTags: ReadonlySet<string> = new Set<MailboxError["_tag"]>([
  "AgentNotFound",
  "InvalidAgentName",
  "RuntimeStopped",
  "TransportError",
  "Unauthenticated",
  "MessageTooLarge"
])

/** A remote mailbox fails only as a local one would, or in transport; anything else is a defect. */
const mailboxErrors = <A>(effect: Effect.Effect<A, AgentError>): Effect.Effect<A, MailboxError> =>
  Effect.catchAll(effect, (error) => (mailboxTags.has(error._tag) ? Effect.fail(error as MailboxError) : Effect.die(error)))

interface Built {
  readonly runtime: Service
  readonly node: NodeService
}

const build = (options: Options): Effect.Effect<Built, ServeError | ConfigError.ConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const token = yield* resolveToken(options)
    const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    const defaultTimeout = Duration.decode(options.callTimeout ?? options.defaultRemoteTimeout ?? DEFAULT_REMOTE_TIMEOUT)
    const registry: ErrorRegistry = new Map((options.errors ?? []).map((schema) => [schema._tag, schema]))
    const errors = makeErrorCodec(registry)
    const routes = new Map(
      Object.entries(options.peers ?? {}).map(([name, endpoints]) => [name, typeof endpoints === "string" ? [endpoints] : [...endpoints]])
    )
    const remoteNames = [...routes.keys()].filter((name) => name !== "*")

    // Acquired in this order so that they are released the other way round: the server drains
    // first, then callers inside calls to peers are interrupted, then channels close, then local agents stop.
    const local = yield* LocalRuntime.make(options)
    const localNames = new Set<string>()
    let stopped = false
    const inFlight = InFlightCalls.make()
    const peers = yield* Grpc.make({
      credentials: channelCredentials(options.tls),
      channelOptions: channelOptions(maxMessageBytes, options.keepalive),
      token,
      maxMessageBytes,
      inFlight,
      errors
    })
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        stopped = true
        return inFlight.interruptAll
      })
    )

    const served = options.listen === undefined
      ? undefined
      : yield* Effect.flatMap(serverCredentials(options.listen, options.tls), (credentials) =>
        serve(local, {
          listen: options.listen!,
          token,
          credentials,
          channelOptions: channelOptions(maxMessageBytes, options.keepalive),
          shutdownGracePeriod: Duration.decode(options.shutdownGracePeriod ?? "5 seconds"),
          maxMessageBytes,
          errors
        }).pipe(Effect.mapError((error) => new ServeError({ listen: options.listen!, message: `Cannot serve on ${options.listen}: ${error.message}` }))))

    const endpointsOf = (name: string): ReadonlyArray<string> | undefined => routes.get(name) ?? routes.get("*")

    /**
     * A call to a peer, on the caller's fiber. The caller is in flight while its request is on the
     * wire (see the client): closing the runtime interrupts it, as interrupting the caller does,
     * and either cancels the gRPC call.
     */
    const remote = <A>(name: string, effect: (endpoints: ReadonlyArray<string>) => Effect.Effect<A, AgentError>) =>
      Effect.suspend((): Effect.Effect<A, AgentError> => {
        if (stopped) return Effect.fail(RuntimeStopped.of(name))
        if (!isValidName(name)) return Effect.fail(InvalidAgentName.of(name))
        const endpoints = endpointsOf(name)
        if (endpoints === undefined) return Effect.fail(AgentNotFound.of(name, [...localNames, ...remoteNames]))
        return effect(endpoints)
      })

    const timeoutOf = (callOptions?: CallOptions) =>
      callOptions?.timeout === undefined ? defaultTimeout : Duration.decode(callOptions.timeout)

    /** Whether the call's timeout is one the caller set (on the call or as `callTimeout`), not the default deadline. */
    const callerTimed = (callOptions?: CallOptions) => callOptions?.timeout !== undefined || options.callTimeout !== undefined

    const callRemote = (name: string, message: Message, callOptions?: CallOptions) => {
      const timeout = timeoutOf(callOptions)
      const timeoutMs = Duration.isFinite(timeout) ? Duration.toMillis(timeout) : undefined
      // A call to a peer is a nested call like a local one: the permit of the call making it
      // (if it runs inside one on this node) is free while it waits.
      return CallPermits.awayWhile(remote(name, (endpoints) => {
        const call = Effect.map(
          peers.unary<{ message: ProtoMessage }>(endpoints, "Execute", { agent: name, message: messageToProto(message) }, { agent: name, timeoutMs }),
          (response) => messageFromProto(response.message)
        )
        // The deadline travels with the call, and grpc-js ends the call at it on this side too. A
        // timeout the caller asked for is also kept by the caller's own clock (a TestClock moves
        // it); the default deadline, a safety net against a frozen peer, only by grpc-js (an
        // Effect timeout on every call cost a fifth of a call's latency).
        return timeoutMs === undefined || !callerTimed(callOptions)
          ? call
          : Effect.timeoutFail(call, { duration: timeout, onTimeout: () => CallTimeout.of(name, Duration.toMillis(timeout)) })
      })).pipe(
        Traced.span(`agent.call ${name}`, {
          kind: "client",
          attributes: {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": name,
            "aixfx.runtime.kind": "distributed",
            "rpc.system": "grpc",
            "rpc.service": "aixfx.agent.v1.AgentService",
            "rpc.method": "Execute"
          }
        })
      )
    }

    const call = (name: string, message: Message, callOptions?: CallOptions): Effect.Effect<Message, AgentError> =>
      localNames.has(name) ? local.call(name, message, callOptions) : callRemote(name, message, callOptions)

    const remoteList = (endpoint: string, names: ReadonlyArray<string> | "any"): Effect.Effect<ReadonlyArray<AgentInfo>> =>
      peers.unary<{ agents: ReadonlyArray<Omit<AgentInfo, "location">> }>([endpoint], "ListAgents", {}, { agent: "*", timeoutMs: 5_000 }).pipe(
        Effect.map(({ agents }) =>
          agents.filter((a) => names === "any" || names.includes(a.name)).map((a) => ({ ...a, location: endpoint }))
        ),
        // An unreachable node still shows its configured agents, as not ready.
        Effect.orElseSucceed(() =>
          names === "any" ? [] : names.map((name) => ({ name, role: name, description: name, ready: false, location: endpoint }))
        )
      )

    const list = Effect.gen(function* () {
      const locals = yield* local.list
      const byEndpoint = new Map<string, Array<string> | "any">()
      for (const [name, endpoints] of routes) {
        for (const endpoint of endpoints) {
          const current = byEndpoint.get(endpoint)
          if (name === "*") byEndpoint.set(endpoint, "any")
          else if (current !== "any") byEndpoint.set(endpoint, [...(current ?? []), name])
        }
      }
      const remotes = yield* Effect.forEach(byEndpoint, ([endpoint, names]) => remoteList(endpoint, names), { concurrency: "unbounded" })
      // An agent on several replicas is ready when one of them is (as `ready` says), and shown there.
      const merged = new Map<string, AgentInfo>(locals.map((a) => [a.name, a]))
      for (const info of remotes.flat()) {
        const known = merged.get(info.name)
        if (known === undefined || (!known.ready && info.ready && known.location !== "local")) merged.set(info.name, info)
      }
      return [...merged.values()]
    })

    const runtime: Service = {
      kind: "distributed",
      register: (agent) =>
        Effect.tap(local.register(agent), () =>
          Effect.sync(() => {
            localNames.add(agent.name)
            for (const schema of agent.errors ?? []) registry.set(schema._tag, schema)
          })),
      unregister: (name) => Effect.tap(local.unregister(name), () => Effect.sync(() => localNames.delete(name))),
      call,
      callAll: (names, message, callOptions) => FanOut.either(names.map((name) => call(name, message, callOptions))),
      send: (name, message) =>
        localNames.has(name)
          ? local.send(name, message)
          : mailboxErrors(remote(name, (endpoints) =>
            Effect.asVoid(peers.unary(endpoints, "Send", { agent: name, message: messageToProto(message) }, { agent: name, timeoutMs: undefined }))
          )),
      receive: (name) =>
        localNames.has(name)
          ? local.receive(name)
          : mailboxErrors(remote(name, (endpoints) =>
            Effect.map(
              peers.unary<{ message: ProtoMessage }>(endpoints, "Receive", { agent: name }, { agent: name, timeoutMs: undefined }),
              (response) => messageFromProto(response.message)
            )
          )),
      list,
      ready: (name) => {
        if (localNames.has(name)) return local.ready(name)
        const endpoints = endpointsOf(name)
        if (endpoints === undefined) return Effect.succeed(false)
        return Effect.map(Effect.forEach(endpoints, (endpoint) => peers.health(endpoint, name), { concurrency: "unbounded" }), (up) => up.includes(true))
      }
    }

    const node: NodeService = {
      endpoint: served?.endpoint,
      executeStream: (name, message, callOptions) => {
        const endpoints = localNames.has(name) ? (served === undefined ? undefined : [served.endpoint]) : endpointsOf(name)
        const timeout = timeoutOf(callOptions)
        return endpoints === undefined
          ? Stream.fail(AgentNotFound.of(name, [...localNames, ...remoteNames]))
          : peers.stream(endpoints, name, message, Duration.isFinite(timeout) ? Duration.toMillis(timeout) : undefined)
      }
    }
    return { runtime, node }
  })

/** Builds the node inside the current scope; the scope's close stops it gracefully. */
export const make = (options: Options): Effect.Effect<Service, ServeError | ConfigError.ConfigError, Scope.Scope> =>
  Effect.map(build(options), ({ runtime }) => runtime)

/** Provides `AgentRuntime` (and this node's `Node`) for a node of a distributed runtime. */
export const layer = (options: Options): Layer.Layer<AgentRuntime | Node, ServeError | ConfigError.ConfigError> =>
  Layer.scopedContext(
    Effect.map(build(options), ({ node, runtime }) => Context.make(AgentRuntime, runtime).pipe(Context.add(Node, node)))
  )

export interface LoopbackOptions<R> extends Omit<Options, "listen" | "peers"> {
  /** Agents to register on the serving node before the layer is ready. */
  readonly agents?: ReadonlyArray<Agent<R>>
}

/**
 * Two real nodes in this process, for tests: a serving node on 127.0.0.1 (a free port) and a
 * calling node that reaches it only over gRPC, as ONE layer. Agents (`agents`, and any registered
 * later through the runtime, e.g. by `AgentRuntime.layerAgents`) live on the serving node; every
 * other operation (`call`, `callAll`, `send`, `receive`, `list`, `ready`) is the calling node's,
 * so every call crosses the wire. Swap it for `LocalRuntime.layer()` to run a test over gRPC.
 * `Node` is the calling node's (its `executeStream` goes over the wire too). Options apply to both.
 */
export const loopback = <R = never>(
  options: LoopbackOptions<R> = {}
): Layer.Layer<AgentRuntime | Node, ServeError | ConfigError.ConfigError | RegisterError, Exclude<R, AgentRuntime>> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const { agents = [], ...nodeOptions } = options
      const serving = yield* build({ ...nodeOptions, listen: "127.0.0.1:0" })
      const calling = yield* build({ ...nodeOptions, peers: { "*": serving.node.endpoint! } })
      const runtime: Service = { ...calling.runtime, register: serving.runtime.register, unregister: serving.runtime.unregister }
      // An agent that calls others (a pattern) calls them through this runtime: over the wire too.
      yield* Effect.forEach(agents, (agent) => runtime.register(agent), { discard: true }).pipe(Effect.provideService(AgentRuntime, runtime))
      return Context.make(AgentRuntime, runtime).pipe(Context.add(Node, calling.node))
    })
  )
