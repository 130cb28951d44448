/**
 * Durable runs: provide `Durable.layerSqlite({ filename })` and every `Workflow.run(name, { runId })`
 * becomes a run the engine (@effect/workflow on @effect/cluster's ClusterWorkflowEngine) keeps in the
 * store, keyed by `runId`. Every agent call inside it is journaled with its outcome under a key from
 * its place in the run; a run started again (after a crash, or after an approval) replays the
 * journal instead of calling the agents again, and runs for real only what had not finished.
 */
import { Agent, AgentRuntime, CallContext, type CostLedger, type ErrorSchema, Message, Workflow } from "@aixfx/core"
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as EngineWorkflow from "@effect/workflow/Workflow"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { Cause, type ConfigError, Context, Deferred, Duration, Effect, type Either, Exit, Fiber, Layer, Logger, LogLevel, Option, Schedule, Schema } from "effect"
import * as Approval from "./Approval.js"
import { RunCancelled } from "./DurableError.js"
import { OutcomeCodec } from "./internal/outcome.js"
import type { JournalMismatch } from "./DurableError.js"
import { CurrentRunScope, RunScope, RunState } from "./internal/run.js"
import { type Outcome, Registry } from "./internal/registry.js"
import * as Store from "./internal/store.js"
import * as SqlCostLedger from "./SqlCostLedger.js"

export type { Outcome } from "./internal/registry.js"

export interface Options {
  /**
   * How often the runner looks for messages other processes wrote (approvals, resumes, cancels):
   * the latency of an approval given from the CLI. Default 250 ms (the engine's own default is 10 s).
   */
  readonly pollInterval?: Duration.DurationInput
  /**
   * Whether this process runs runs (the default) or only writes to the store (the CLI). Exactly one
   * runner process may use a store file at a time.
   */
  readonly runner?: boolean
  /** How long a replay may make no progress before it reports a `JournalMismatch` (default 10 s). */
  readonly replayStallTimeout?: Duration.DurationInput
  /**
   * The schemas of the application's own errors (`CustomAgentErrors`) that steps may fail with, so
   * such a failure is journaled and replays as the same class. Agents registered through the durable
   * runtime add theirs (`Agent.make({ errors })`).
   */
  readonly errors?: ReadonlyArray<ErrorSchema>
}

/** The one engine workflow every durable run executes as; its idempotency key is the run id. */
export const RunWorkflow = EngineWorkflow.make({
  name: "aixfx/run",
  payload: { runId: Schema.String, workflow: Schema.String },
  idempotencyKey: (payload) => payload.runId
})

export interface Service {
  readonly store: Store.Store
  readonly registry: Registry
  /** How step outcomes are journaled: knows the application's error schemas. */
  readonly outcomes: OutcomeCodec
  readonly engine: WorkflowEngine.WorkflowEngine["Type"]
  /** Starts or continues run `runId`: its outcome, or `Suspended` when it waits for a person or a clock. */
  readonly start: <A, E, R>(workflow: string, runId: string, program: Effect.Effect<A, E, R>) => Effect.Effect<Outcome, SqlError, R>
  /** Waits until the run this process started is done (through every suspension). */
  readonly awaitDone: (runId: string, first: Outcome) => Effect.Effect<Exit.Exit<unknown, unknown>>
}

export class Durable extends Context.Tag("@aixfx/durable/Durable")<Durable, Service>() {}

const now = () => Date.now()

/** The approvals a run waits for, as its status shows them. */
const awaitingOf = (store: Store.Store, runId: string) =>
  Effect.map(store.approvals(runId), (rows) => rows.filter((r) => r.status === "pending").map((r) => r.name))

const describe = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.squash(cause)
  return failure instanceof Error ? `${(failure as { _tag?: string })._tag ?? failure.name}: ${failure.message}` : String(failure)
}

/**
 * Runs `program` as run `run` at its root: its calls journaled, its messages deterministic. It ends
 * early with the run's `JournalMismatch` if a step finds one, or with `stop`'s failure (a cancel).
 */
const inRun = <A, E, R>(
  run: RunState,
  program: Effect.Effect<A, E, R>,
  context: Context.Context<any>,
  stop: Effect.Effect<never, RunCancelled> = Effect.never
): Effect.Effect<A, E | JournalMismatch | RunCancelled> => {
  const scope = new RunScope(run, "")
  return Effect.suspend(() => {
    const release = Message.enableIdSource()
    return program.pipe(
      Effect.provideService(CurrentRunScope, scope),
      Effect.provideService(Message.CurrentIdSource, scope),
      Effect.provideService(Agent.CurrentToolApproval, Approval.toolApproval),
      Effect.provide(context as Context.Context<R>),
      // Not `raceFirst`: a suspension interrupts the program's own fiber, and that must end the race too.
      Effect.raceWith(Effect.raceFirst(Deferred.await(run.mismatch), stop), {
        onSelfDone: (exit, signal) => Effect.zipRight(Fiber.interrupt(signal), exit),
        onOtherDone: (exit, self) => Effect.zipRight(Fiber.interrupt(self), exit)
      }),
      Effect.ensuring(Effect.sync(release))
    )
  })
}

const isCancel = (cause: Cause.Cause<unknown>) => Option.exists(Cause.failureOption(cause), (e) => e instanceof RunCancelled)

const make = (options: Options) =>
  Effect.gen(function* () {
    const store = yield* Effect.orDie(Store.make)
    const engine = yield* WorkflowEngine.WorkflowEngine
    const registry = new Registry()
    const outcomes = new OutcomeCodec()
    outcomes.register(options.errors ?? [])
    const stallTimeout = Duration.decode(options.replayStallTimeout ?? "10 seconds")
    const pollInterval = Duration.decode(options.pollInterval ?? "250 millis")

    const loadRun = (runId: string, workflow: string) =>
      Effect.gen(function* () {
        const row = yield* store.ensureRun(runId, workflow, now())
        const steps = yield* store.steps(runId)
        return { status: row.status, run: new RunState(runId, workflow, row.createdAt, steps, store, outcomes, stallTimeout) }
      })

    /** Fails with `RunCancelled` once the store says the run was cancelled (by any process): it interrupts the step in flight. */
    const cancelled = (runId: string): Effect.Effect<never, RunCancelled> =>
      store.getRun(runId).pipe(
        Effect.orDie,
        Effect.repeat({ schedule: Schedule.spaced(pollInterval), until: (row) => row?.status === "cancelled" }),
        Effect.zipRight(Effect.fail(RunCancelled.of(runId)))
      )

    /** Records how an execution of the body ended and tells the process that started the run. */
    const settle = (runId: string, instance: WorkflowEngine.WorkflowInstance["Type"], exit: Exit.Exit<unknown, unknown>) =>
      Effect.gen(function* () {
        if (Exit.isSuccess(exit)) {
          yield* store.setStatus(runId, "done", now())
          return registry.settle(runId, { _tag: "Done", exit })
        }
        // Cancelled while it ran (the store says so already), or while suspended (the engine interrupts it).
        if (isCancel(exit.cause)) return registry.settle(runId, { _tag: "Done", exit })
        if (Cause.isInterruptedOnly(exit.cause)) {
          if (instance.interrupted) {
            yield* store.setStatus(runId, "cancelled", now())
            return registry.settle(runId, { _tag: "Done", exit: Exit.fail(RunCancelled.of(runId)) })
          }
          // This process is stopping: the run continues when a runner starts it again.
          if (!instance.suspended) return
          const awaiting = yield* awaitingOf(store, runId)
          const row = yield* store.getRun(runId)
          const waitsFor = awaiting.length > 0 ? awaiting : row?.awaiting?.split(",") ?? []
          yield* store.setStatus(runId, "suspended", now(), { awaiting: waitsFor.join(",") || null })
          return registry.settle(runId, { _tag: "Suspended", awaiting: waitsFor })
        }
        yield* store.setStatus(runId, "failed", now(), { error: describe(exit.cause) })
        registry.settle(runId, { _tag: "Done", exit })
      }).pipe(Effect.orDie)

    const body = RunWorkflow.toLayer((payload) =>
      Effect.gen(function* () {
        const instance = yield* WorkflowEngine.WorkflowInstance
        const pending = yield* registry.take(payload.runId)
        const { run, status } = yield* Effect.orDie(loadRun(payload.runId, payload.workflow))
        // Cancelled before this execution (e.g. while suspended: the engine's interrupt resumes it first).
        if (status === "cancelled") return registry.settle(payload.runId, { _tag: "Done", exit: Exit.fail(RunCancelled.of(payload.runId)) })
        yield* Effect.orDie(store.setStatus(payload.runId, "running", now()))
        yield* inRun(run, pending.program, pending.context, cancelled(payload.runId)).pipe(
          Effect.onExit((exit) => settle(payload.runId, instance, exit)),
          // The outcome went to the caller; the engine only needs to know done vs suspended.
          Effect.catchAllCause((cause) => (Cause.isInterruptedOnly(cause) ? Effect.failCause(cause as Cause.Cause<never>) : Effect.void)),
          Effect.asVoid
        )
      })
    )

    /** A finished run's outcome again: its program replays the journal (no agent is called). */
    const replayFinished = (row: Store.RunRow, program: Effect.Effect<unknown, unknown, any>, context: Context.Context<any>) =>
      Effect.gen(function* () {
        const steps = yield* store.steps(row.runId)
        const run = new RunState(row.runId, row.workflow, row.createdAt, steps, store, outcomes, stallTimeout, true)
        const exit = yield* Effect.exit(inRun(run, program, context))
        return { _tag: "Done", exit } as Outcome
      })

    const start = <A, E, R>(workflow: string, runId: string, program: Effect.Effect<A, E, R>) =>
      Effect.gen(function* () {
        const context = yield* Effect.context<R>()
        const existing = yield* store.getRun(runId)
        if (existing !== undefined && (existing.status === "done" || existing.status === "failed")) {
          return yield* replayFinished(existing, program, context)
        }
        if (existing?.status === "cancelled") return { _tag: "Done", exit: Exit.fail(RunCancelled.of(runId)) } as Outcome
        const outcome = yield* Deferred.make<Outcome>()
        registry.offer(runId, { program, context, outcome })
        yield* store.ensureRun(runId, workflow, now())
        yield* RunWorkflow.execute({ runId, workflow }, { discard: true })
        if (existing?.status === "suspended") {
          // Still waiting for a person: say so now; the run continues here once they decide.
          const awaiting = yield* awaitingOf(store, runId)
          if (awaiting.length > 0) return { _tag: "Suspended", awaiting } as Outcome
        }
        return yield* Deferred.await(outcome)
      }).pipe(Effect.provideService(WorkflowEngine.WorkflowEngine, engine))

    const awaitDone = (runId: string, first: Outcome): Effect.Effect<Exit.Exit<unknown, unknown>> =>
      Effect.suspend(() => {
        if (first._tag === "Done") return Effect.succeed(first.exit)
        const pending = registry.get(runId)
        return pending === undefined ? Effect.never : Effect.flatMap(Deferred.await(pending.outcome), (next) => awaitDone(runId, next))
      })

    const service: Service = { store, registry, outcomes, engine, start, awaitDone }
    const durability: Workflow.Durability = {
      run: <A, E, R>(workflow: string, runId: string, program: Effect.Effect<A, E, R>) =>
        start(workflow, runId, program).pipe(
          Effect.orDie,
          Effect.flatMap((first) => awaitDone(runId, first)),
          Effect.flatMap((exit) => exit as Exit.Exit<A, E>)
        )
    }
    return { service, durability, body }
  })

/**
 * The durable runtime: `AgentRuntime` calls inside a durable run are journaled; outside, passed
 * through. Agents registered through it make their own error schemas journaled.
 */
const wrapRuntime = (inner: AgentRuntime.Service, outcomes: OutcomeCodec): AgentRuntime.Service => {
  const call: AgentRuntime.Service["call"] = (name, message, options) =>
    Effect.withFiberRuntime((fiber) => {
      const scope = Context.get(fiber.currentContext, CurrentRunScope)
      if (scope === undefined) return inner.call(name, message, options)
      const key = scope.run.keyFor(scope.key, options?.step ?? name, name)
      return scope.run.call(key, message, (child) => Effect.provideService(inner.call(name, message, options), CurrentRunScope, child).pipe(
        Effect.provideService(Message.CurrentIdSource, child)
      ))
    })
  return {
    ...inner,
    register: (agent) => Effect.zipRight(Effect.sync(() => outcomes.register(agent.errors ?? [])), inner.register(agent)),
    call,
    callAll: (names, message, options) =>
      Effect.withFiberRuntime((fiber) =>
        Context.get(fiber.currentContext, CurrentRunScope) === undefined
          ? inner.callAll(names, message, options)
          : Effect.forEach(names, (name) => Effect.either(call(name, message, { ...options, step: name })), { concurrency: "unbounded" })
      ) as Effect.Effect<ReadonlyArray<Either.Either<Message.Message, any>>>
  }
}

const engineLayer = (options: Options) =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(
      SingleRunner.layer({
        runnerStorage: "sql",
        shardingConfig: {
          entityMessagePollInterval: options.pollInterval ?? Duration.millis(250),
          ...(options.runner === false ? { runnerAddress: Option.none() } : {})
        }
      })
    )
  )

const durableLayer = (options: Options) =>
  Layer.unwrapEffect(
    Effect.map(make(options), ({ body, durability, service }) =>
      Layer.mergeAll(Layer.succeed(Durable, service), Layer.succeed(Workflow.CurrentDurability, durability)).pipe(Layer.provideMerge(body))
    )
  )

/**
 * The durable layer on an engine you provide (e.g. `ClusterWorkflowEngine` over several runners and
 * Postgres): the run journal and store, the store-backed `CostLedger`, and `AgentRuntime` wrapped so
 * that calls inside durable runs are journaled. Needs the `WorkflowEngine`, the `SqlClient` the store
 * lives in, and the inner `AgentRuntime`.
 */
export const layerOnEngine = (
  options: Options = {}
): Layer.Layer<
  Durable | AgentRuntime.AgentRuntime | CostLedger.CostLedger,
  SqlError,
  AgentRuntime.AgentRuntime | SqlClient.SqlClient | WorkflowEngine.WorkflowEngine
> => {
  const runtime = Layer.effect(AgentRuntime.AgentRuntime, Effect.zipWith(AgentRuntime.AgentRuntime, Durable, (inner, durable) => wrapRuntime(inner, durable.outcomes)))
  return Layer.mergeAll(runtime, SqlCostLedger.layer).pipe(Layer.provideMerge(durableLayer(options)))
}

/**
 * The durable layer over a `SqlClient`, with its engine: `ClusterWorkflowEngine` on a single runner
 * (`SingleRunner`, SQL message and runner storage). Provide the inner runtime (e.g.
 * `LocalRuntime.layer()`) below it.
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  Durable | AgentRuntime.AgentRuntime | CostLedger.CostLedger | WorkflowEngine.WorkflowEngine,
  ConfigError.ConfigError | SqlError,
  AgentRuntime.AgentRuntime | SqlClient.SqlClient
> => layerOnEngine(options).pipe(Layer.provideMerge(engineLayer(options)))

/** `layer` over a SQLite file (created if missing): one store per machine, no server to run. */
export const layerSqlite = (options: Options & { readonly filename: string }) =>
  layer(options).pipe(Layer.provideMerge(SqliteClient.layer({ filename: options.filename })))

/**
 * The store without a runner: lists, approves, rejects, resumes and cancels runs (`Runs`), and
 * leaves running them to the runner process. What the CLI opens.
 */
export const layerClient = (options: { readonly filename: string; readonly pollInterval?: Duration.DurationInput }): Layer.Layer<
  Durable,
  ConfigError.ConfigError | SqlError
> =>
  durableLayer({ ...options, runner: false }).pipe(
    Layer.provide(engineLayer({ ...options, runner: false })),
    Layer.provide(SqliteClient.layer({ filename: options.filename })),
    // A client has no runner by design: the engine's "No healthy runners available" is not news.
    Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
  )

/**
 * Starts or continues run `runId` of `workflow` (as `Workflow.run` would) without waiting through
 * suspensions: `Done` with its exit, or `Suspended` with what it waits for (the process may exit).
 */
export const start = (workflow: string, runId: string) => <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Durable, (durable) => durable.start(workflow, runId, CallContext.withRun(runId, workflow)(program)))
