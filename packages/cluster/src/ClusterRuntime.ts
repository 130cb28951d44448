/**
 * The AgentRuntime on @effect/cluster: every process that provides this layer is a runner (it
 * hosts the agents it registers and owns a share of the shards) or, with no `runner` address, a
 * client that only calls. Runners find each other through the shared SQL storage (Postgres), so
 * there is no peers list; a runner joining or leaving moves shards between the live ones.
 *
 * An agent is reached through one cluster entity (see internal/agentEntity): a call goes to the
 * runner owning the shard of `agent/bucket`, which runs it with its own registration of the agent.
 * So every runner must register the same agents (one image, many replicas). A call carries what
 * the gRPC edge carries in metadata (`TraceContext` headers), so on the serving runner the agent
 * runs in the caller's trace (under its `agent.call` span), call context and session. Mailboxes
 * (`send`/`receive`) live in the memory of the runner owning the agent's mailbox shard: they are
 * volatile, and lost when that shard moves.
 *
 * Closing the layer (SIGTERM on a runner) first interrupts the callers in this process, then
 * lets the sharding drain: the runner gives its shards up, the handlers in flight finish (up to
 * `entityTerminationTimeout`), then the agents stop.
 */
import { Entity, MessageStorage, RunnerAddress as ClusterRunnerAddress, ShardId, Sharding, ShardingConfig } from "@effect/cluster"
import { SqlClient } from "@effect/sql"
import { NodeClusterSocket } from "@effect/platform-node"
import {
  Agent,
  AgentFailed,
  type AgentError,
  AgentRuntime,
  CallTimeout,
  InvalidAgentName,
  LocalRuntime,
  type Message,
  RuntimeStopped,
  TraceContext,
  TransportError
} from "@aixfx/core"
import type { ConfigError } from "effect/ConfigError"
import { Cause, Clock, Context, Duration, Effect, ExecutionStrategy, Fiber, Layer, Option, Schedule, Scope } from "effect"
import type { Either } from "effect"
import * as CallClaims from "./internal/callClaims.js"
import { toCoreError } from "./internal/wireError.js"
import { oneAtATime } from "./internal/migrations.js"
import { AgentEntity, callEntityId, mailboxEntityId, registryEntityId } from "./internal/agentEntity.js"

export interface RunnerAddress {
  readonly host: string
  readonly port: number
}

export interface Options extends LocalRuntime.Options {
  /** Where this runner listens for other runners; without it the process is a client only. */
  readonly runner?: RunnerAddress | undefined
  /**
   * Sharding settings; `shardLockExpiration`, `refreshAssignmentsInterval` and `shardsPerGroup`
   * must be the same on every process of the cluster.
   */
  readonly sharding?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
  /** How many entities (so shards) one agent's calls are spread over (default 64). */
  readonly bucketsPerAgent?: number | undefined
  /**
   * `"at-most-once"` (the default): a runner claims each call's id in Postgres before running it, so
   * a call delivered twice (re-sent after its shard moved, or by the cluster's client) runs once and
   * the second delivery gets the first one's outcome. `"at-least-once"`: no claim (one round trip
   * less per call); a re-sent call may run again. Use the same value on every runner.
   */
  readonly delivery?: "at-most-once" | "at-least-once" | undefined
}

export interface NodeInfo {
  /** "host:port" of this runner, or undefined on a client-only process. */
  readonly address: string | undefined
  /** Whether the runtime is still up (false once it started shutting down). */
  readonly live: Effect.Effect<boolean>
  /**
   * Whether the cluster answers: a request routed through the shards (storage, routing, a
   * runner's entity) comes back within `timeout`. What an orchestrator's readiness probe asks.
   */
  readonly ready: (timeout?: Duration.DurationInput) => Effect.Effect<boolean>
  /** How many shards (of the default group) this runner holds now; 0 on a client. */
  readonly heldShards: Effect.Effect<number>
  readonly sharding: Sharding.Sharding["Type"]
  /** The runtime of the agents this runner hosts, called in this process; undefined on a client. */
  readonly hosted: AgentRuntime.Service | undefined
}

/** This process's place in the cluster, for health endpoints and tests. */
export class Node extends Context.Tag("@aixfx/cluster/ClusterRuntime/Node")<Node, NodeInfo>() {}

const transportError = (agent: string, code: string, message: string) =>
  new TransportError({ agent, endpoint: "cluster", code, message: `Cluster call to agent "${agent}" failed (${code}): ${message}` })

/**
 * The cluster's own failures (storage, mailbox full, a runner gone) become `TransportError`s; a
 * call interrupted on its runner (not by its caller) and a defect across the hop too, so a caller
 * never sees a bare interrupt or defect.
 */
const typedFailures = (agent: string) => <A>(effect: Effect.Effect<A, unknown>): Effect.Effect<A, AgentError> =>
  Effect.catchAllCause(effect, (cause): Effect.Effect<A, AgentError> => {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure)) {
      const error = failure.value as { readonly _tag?: string; readonly message?: string }
      return isAgentError(error) ? Effect.fail(error) : Effect.fail(transportError(agent, error._tag ?? "Unknown", error.message ?? String(error)))
    }
    if (Cause.isInterruptedOnly(cause)) {
      return Effect.fail(transportError(agent, "Interrupted", "the call was interrupted on the runner running it (it shut down or gave the shard up)"))
    }
    // A defect across the hop: the cluster client's own (a socket to a runner that went away) or
    // the remote handler's, both reported with what they were.
    const defect = Cause.squash(cause) as { readonly _tag?: string; readonly message?: string }
    return Effect.fail(transportError(agent, defect?._tag ?? "Defect", defect?.message ?? Cause.pretty(cause)))
  })

const liveClock = Clock.make()

/**
 * A volatile call whose shard moved while it ran (a runner joined, left or stopped gracefully) is
 * interrupted there: it is sent again, to the shard's new owner, a few times. With at-most-once
 * delivery the new owner answers with the first delivery's outcome (see internal/callClaims), so a
 * call whose fate is unknown is sent again too: the cluster's client re-sent it while the runner
 * still processed it (AlreadyProcessingMessage), or lost its socket to the runner with the request
 * on it (SocketError). Waits run on the live clock.
 */
const resentOnlyIfAtMostOnce = new Set(["AlreadyProcessingMessage", "SocketError"])
const resendWhenMoved = (atMostOnce: boolean) => <A>(effect: Effect.Effect<A, AgentError>): Effect.Effect<A, AgentError> =>
  Effect.withClock(
    Effect.retry(effect, {
      while: (error) => error._tag === "TransportError" && (error.code === "Interrupted" || (atMostOnce && resentOnlyIfAtMostOnce.has(error.code))),
      schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(5)))
    }),
    liveClock
  )

const clusterErrorTags = new Set(["MailboxFull", "AlreadyProcessingMessage", "PersistenceError", "EntityNotAssignedToRunner", "RunnerUnavailable", "RunnerNotRegistered", "MalformedMessage", "RpcClientError"])
const isAgentError = (error: { readonly _tag?: string }): error is AgentError =>
  typeof error._tag === "string" && !clusterErrorTags.has(error._tag)

/** Builds the runtime inside the current scope, over the `Sharding` of `sharding`. */
const make = (options: Options, shardingLayer: Layer.Layer<Sharding.Sharding | MessageStorage.MessageStorage, unknown, SqlClient.SqlClient>) =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const buckets = options.bucketsPerAgent ?? 64
    const address = options.runner === undefined ? undefined : `${options.runner.host}:${options.runner.port}`
    const { callTimeout, delivery = "at-most-once", ...hostingOptions } = options
    const defaultTimeout = callTimeout === undefined ? undefined : Duration.decode(callTimeout)

    // Closed last: the agents stop after the sharding drained their calls.
    const hostingScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
    const hosting = address === undefined ? undefined : yield* Scope.extend(LocalRuntime.make(hostingOptions), hostingScope)

    const shardingScope = yield* Scope.fork(scope, ExecutionStrategy.sequential)
    const sql = yield* SqlClient.SqlClient
    const cluster = yield* oneAtATime(sql, Layer.buildWithScope(Layer.provide(shardingLayer, Layer.succeed(SqlClient.SqlClient, sql)), shardingScope)).pipe(
      Effect.orDie
    )
    const sharding = Context.get(cluster, Sharding.Sharding)

    if (hosting !== undefined) {
      // Claims name this process, not just its address: a runner restarted on the same address is another claimant.
      const claimant = `${address!}/${crypto.randomUUID().slice(0, 8)}`
      const grace = Duration.decode(options.sharding?.entityTerminationTimeout ?? "15 seconds")
      const claims = delivery === "at-most-once"
        ? yield* Scope.extend(CallClaims.make(sql, claimant, { abandonAfter: Duration.seconds(15), grace }), hostingScope)
        : undefined
      yield* sharding
        .registerEntity(
          AgentEntity,
          Effect.succeed(
            AgentEntity.of({
              call: ({ payload }) => {
                // The caller's span is the parent of the agent's spans, set inside `run`: with
                // at-most-once delivery the agent runs in a fiber of its own (see callClaims).
                const run = Effect.mapError(TraceContext.withRemoteParent(payload.headers)(hosting.call(payload.agent, payload.message)), toCoreError)
                if (claims === undefined) return run
                // A delivery interrupted while this runner still owns its shard was interrupted by its caller.
                return Effect.flatMap(Entity.CurrentAddress, (entity) =>
                  claims.once(payload.callId, payload.agent, run, Effect.sync(() => sharding.hasShardId(entity.shardId))))
              },
              send: ({ payload }) => hosting.send(payload.agent, payload.message),
              receive: ({ payload }) => hosting.receive(payload.agent),
              list: () => hostedList
            })
          ),
          { concurrency: "unbounded" }
        )
        .pipe(Scope.extend(shardingScope))
    }
    const client = yield* sharding.makeClient(AgentEntity)

    // Callers inside a call, interrupted (and awaited) when the runtime closes. A fiber may be
    // inside several calls at once (an agent calling another on its own fiber), hence the count.
    const callers = new Map<Fiber.RuntimeFiber<any, any>, number>()
    let stopped = false
    yield* Effect.addFinalizer(() =>
      Effect.withFiberRuntime((closing) => {
        stopped = true
        return Fiber.interruptAllAs([...callers.keys()].filter((f) => f !== closing), closing.id())
      })
    )

    const inFlight = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.withFiberRuntime((fiber) => {
        callers.set(fiber, (callers.get(fiber) ?? 0) + 1)
        return Effect.ensuring(
          effect,
          Effect.sync(() => {
            const count = callers.get(fiber)! - 1
            if (count === 0) callers.delete(fiber)
            else callers.set(fiber, count)
          })
        )
      })

    const hostedList = hosting === undefined
      ? Effect.succeed([])
      : Effect.map(hosting.list, (agents) => agents.map((agent) => ({ ...agent, location: address! })))

    const call = (name: string, message: Message.Message, callOptions?: AgentRuntime.CallOptions): Effect.Effect<Message.Message, AgentError> =>
      Effect.suspend((): Effect.Effect<Message.Message, AgentError> => {
        if (stopped) return Effect.fail(RuntimeStopped.of(name))
        if (!Agent.isValidName(name)) return Effect.fail(InvalidAgentName.of(name))
        const timeout = callOptions?.timeout === undefined ? defaultTimeout : Duration.decode(callOptions.timeout)
        // One id for every delivery of this call, re-sends included: the serving runner runs it once.
        const callId = crypto.randomUUID()
        const send = Effect.withFiberRuntime<Message.Message, unknown>((fiber) =>
          TraceContext.injectOn(fiber, (headers) => client(callEntityId(name, message.id, buckets)).call({ agent: name, message, headers, callId }))
        ).pipe(typedFailures(name), resendWhenMoved(delivery === "at-most-once"))
        const bounded = timeout === undefined
          ? send
          : Effect.timeoutFail(send, { duration: timeout, onTimeout: () => CallTimeout.of(name, Duration.toMillis(timeout)) })
        return inFlight(bounded).pipe(
          Effect.withSpan(`agent.call ${name}`, {
            kind: "client",
            attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name, "aixfx.runtime.kind": "cluster" }
          })
        )
      })

    const callAll = (names: ReadonlyArray<string>, message: Message.Message, callOptions?: AgentRuntime.CallOptions) =>
      inFlight(Effect.forEach(names, (name) => Effect.either(call(name, message, callOptions)), { concurrency: "unbounded" })) as Effect.Effect<
        ReadonlyArray<Either.Either<Message.Message, AgentError>>
      >

    const mailbox = <A>(name: string, effect: Effect.Effect<A, unknown>): Effect.Effect<A, AgentRuntime.MailboxError> =>
      Effect.suspend(() => {
        if (stopped) return Effect.fail(RuntimeStopped.of(name))
        if (!Agent.isValidName(name)) return Effect.fail(InvalidAgentName.of(name))
        return inFlight(effect.pipe(typedFailures(name))) as Effect.Effect<A, AgentRuntime.MailboxError>
      })

    const clusterList = client(registryEntityId).list().pipe(Effect.orDie)

    const service: AgentRuntime.Service = {
      kind: "distributed",
      register: (agent) =>
        hosting === undefined
          ? Effect.fail(AgentFailed.of(agent.name, "this process is a cluster client (no runner address): register agents on the runners"))
          : Effect.suspend(() => (stopped ? Effect.fail(RuntimeStopped.of(agent.name)) : hosting.register(agent))),
      unregister: (name) => (hosting === undefined ? Effect.void : hosting.unregister(name)),
      call,
      callAll,
      send: (name, message) => mailbox(name, client(mailboxEntityId(name)).send({ agent: name, message })),
      receive: (name) => mailbox(name, client(mailboxEntityId(name)).receive({ agent: name })),
      list: hosting === undefined ? clusterList : hostedList,
      ready: (name) =>
        hosting === undefined ? Effect.map(clusterList, (agents) => agents.some((a) => a.name === name && a.ready)) : hosting.ready(name)
    }

    const shardsPerGroup = options.sharding?.shardsPerGroup ?? 300
    const node: NodeInfo = {
      address,
      sharding,
      hosted: hosting,
      heldShards: Effect.sync(() => {
        let held = 0
        for (let id = 1; id <= shardsPerGroup; id++) if (sharding.hasShardId(ShardId.make("default", id))) held++
        return held
      }),
      live: Effect.map(sharding.isShutdown, (down) => !down && !stopped),
      ready: (timeout = "2 seconds") =>
        client(registryEntityId).list().pipe(
          Effect.timeout(timeout),
          Effect.as(true),
          Effect.catchAllCause(() => Effect.succeed(false))
        )
    }
    return { service, node, storage: Context.get(cluster, MessageStorage.MessageStorage) }
  })

/** The sharding of a socket runner (or client) on the SQL storage in context. */
export const shardingLayer = (options: Options): Layer.Layer<Sharding.Sharding | MessageStorage.MessageStorage, ConfigError, SqlClient.SqlClient> => {
  const shardingConfig: Partial<ShardingConfig.ShardingConfig["Type"]> = {
    ...options.sharding,
    ...(options.runner === undefined
      ? {}
      : { runnerAddress: Option.some(ClusterRunnerAddress.make(options.runner.host, options.runner.port)) })
  }
  return options.runner === undefined
    ? NodeClusterSocket.layer({ clientOnly: true, storage: "sql", shardingConfig })
    : (NodeClusterSocket.layer({ storage: "sql", shardingConfig }) as Layer.Layer<Sharding.Sharding | MessageStorage.MessageStorage, ConfigError, SqlClient.SqlClient>)
}

/**
 * Provides `AgentRuntime` (and this process's `Node`) on the cluster whose storage is the
 * `SqlClient` in context (Postgres: `PgClient.layer`), and the cluster's `Sharding` and
 * `MessageStorage` (what a `ClusterWorkflowEngine` runs on: see `ClusterDurable`). The cluster's
 * own fibers, and its shutdown, run on the live clock whatever the caller's is: heartbeats, shard
 * locks and grace periods are real time.
 */
export const layer = (
  options: Options = {}
): Layer.Layer<AgentRuntime.AgentRuntime | Node | Sharding.Sharding | MessageStorage.MessageStorage, never, SqlClient.SqlClient> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      // Closed on the live clock too, whatever the closing fiber's clock (a test's TestClock): the
      // drain's grace periods are real time, and on a clock nobody moves they would never end.
      const runtimeScope = yield* Scope.make()
      yield* Effect.addFinalizer((exit) => Effect.withClock(Scope.close(runtimeScope, exit), liveClock))
      const { node, service, storage } = yield* Effect.withClock(make(options, shardingLayer(options)), liveClock).pipe(Scope.extend(runtimeScope))
      return Context.make(AgentRuntime.AgentRuntime, service).pipe(
        Context.add(Node, node),
        Context.add(Sharding.Sharding, node.sharding),
        Context.add(MessageStorage.MessageStorage, storage)
      )
    })
  )

/**
 * An agent that forwards every call to agent `name` of the cluster. Registered on a
 * DistributedRuntime node, it lets gRPC clients (any language, the published proto) call cluster
 * agents as before: the node fronts the cluster.
 */
export const forwarding = (cluster: AgentRuntime.Service, name: string, description = `cluster agent ${name}`): Agent.Agent =>
  Agent.make({ name, description, execute: (message) => cluster.call(name, message) })
