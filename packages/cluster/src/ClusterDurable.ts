/**
 * Durable runs (`@aixfx/durable`) on the cluster: the engine is `ClusterWorkflowEngine` over the
 * cluster's own sharding and Postgres message storage, and the run journal, run store and cost
 * ledger live in the same Postgres. A run is a cluster entity: it executes on the runner owning its
 * shard, and when that runner dies the shard's next owner resumes it, replaying the journal, so the
 * steps that had finished are not run again.
 *
 * Because a run may resume on any runner, its program must be found there by name: every process
 * lists the same `workflows` (one image, many replicas), as every runner registers the same agents.
 * Inside a run the agent calls run on the runner executing the run (so the whole call tree is
 * journaled there); outside runs they go through the cluster as before.
 *
 * A run that waits for a person (`Approval.request`) or a clock (`Sleep.sleep`) suspends on its
 * runner; a decision (`Runs.approve` / `reject`, from any process of the cluster) or the clock's
 * time reaches the engine as a persisted message for the run's shard, and whichever runner owns the
 * shard then continues the run. The process that started the run follows it in the run store.
 */
import { type AgentRuntime, CallContext, type CostLedger, Workflow } from "@aixfx/core"
import { AgentRuntime as Runtime } from "@aixfx/core"
import { Durable } from "@aixfx/durable"
import type { MessageStorage, Sharding } from "@effect/cluster"
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { Clock, Context, Deferred, Duration, Effect, type Either, Exit, FiberId, Layer, Schedule } from "effect"
import { Node } from "./ClusterRuntime.js"
import { oneAtATime } from "./internal/migrations.js"

export interface Options<R> {
  /**
   * The durable workflows by the name `Workflow.run` gives them, each the program a run of it
   * executes. The same on every process of the cluster: a run resumes on whichever runner owns it.
   */
  readonly workflows: Readonly<Record<string, Effect.Effect<unknown, unknown, R>>>
  /** How long a replay may make no progress before it reports a `JournalMismatch` (default 10 s). */
  readonly replayStallTimeout?: Duration.DurationInput
  /**
   * How often a process waiting for a run it did not execute (`Workflow.run`, `Durable.start`)
   * reads the run's state in Postgres (default 250 ms).
   */
  readonly pollInterval?: Duration.DurationInput
}

/** Set around a run's program on the runner executing it: its agent calls run in this process. */
class RunsHere extends Context.Reference<RunsHere>()("@aixfx/cluster/ClusterDurable/RunsHere", { defaultValue: () => false }) {}

/** Calls inside a run executing here go to the agents this runner hosts; others through the cluster. */
const routed = (cluster: AgentRuntime.Service, hosted: AgentRuntime.Service | undefined): AgentRuntime.Service =>
  hosted === undefined
    ? cluster
    : {
      ...cluster,
      call: (name, message, options) => Effect.flatMap(RunsHere, (here) => (here ? hosted : cluster).call(name, message, options)),
      callAll: (names, message, options) =>
        Effect.flatMap(RunsHere, (here) => (here ? hosted : cluster).callAll(names, message, options)) as Effect.Effect<
          ReadonlyArray<Either.Either<any, any>>
        >
    }

const liveClock = Clock.make()

type Provided = Durable.Durable | AgentRuntime.AgentRuntime | CostLedger.CostLedger | WorkflowEngine.WorkflowEngine

/**
 * Durable runs on this cluster: provides `Durable`, the `AgentRuntime` whose calls inside runs are
 * journaled, the Postgres `CostLedger` (`aixfx_ledger`, one ledger for every runner) and the
 * `WorkflowEngine`, and makes `Workflow.run(name, { runId })` a durable run of `workflows[name]`.
 * Goes above `ClusterRuntime.layer` (on runners and clients alike).
 */
export const layer = <R = never>(
  options: Options<R>
): Layer.Layer<
  Provided,
  SqlError,
  AgentRuntime.AgentRuntime | Node | Sharding.Sharding | MessageStorage.MessageStorage | SqlClient.SqlClient | Exclude<R, Provided>
> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const outer = yield* Effect.context<AgentRuntime.AgentRuntime | Node | SqlClient.SqlClient | Exclude<R, Provided>>()
      const node = Context.get(outer, Node)
      const sql = Context.get(outer, SqlClient.SqlClient)
      const engine = Context.get(yield* Layer.build(ClusterWorkflowEngine.layer), WorkflowEngine.WorkflowEngine)
      const built = yield* Deferred.make<{ readonly durable: Durable.Service; readonly context: Context.Context<any> }>()

      /** A run resumed here that this process did not start gets its program by its workflow's name. */
      const offerProgram = ({ runId, workflow }: { readonly runId: string; readonly workflow: string }) =>
        Effect.flatMap(Deferred.await(built), ({ context, durable }) => {
          if (durable.registry.get(runId) !== undefined) return Effect.void
          const program = options.workflows[workflow]
          if (program === undefined) return Effect.dieMessage(unknownWorkflow(workflow, runId))
          const inRun = program.pipe(CallContext.withRun(runId, workflow), Effect.provideService(RunsHere, true))
          return Effect.sync(() => durable.registry.offer(runId, { program: inRun, context, outcome: Deferred.unsafeMake(FiberId.none) }))
        })
      const offering = WorkflowEngine.WorkflowEngine.of({
        ...engine,
        register: (workflow, execute) =>
          engine.register(
            workflow,
            workflow.name === Durable.RunWorkflow.name
              ? (payload, executionId) => Effect.zipRight(offerProgram(payload as typeof Durable.RunWorkflow.payloadSchema.Type), execute(payload, executionId))
              : execute
          )
      })

      const durableLayer = Durable.layerOnEngine(options.replayStallTimeout === undefined ? {} : { replayStallTimeout: options.replayStallTimeout }).pipe(
        Layer.provide(Layer.succeed(WorkflowEngine.WorkflowEngine, offering)),
        Layer.provide(Layer.succeed(Runtime.AgentRuntime, routed(Context.get(outer, Runtime.AgentRuntime), node.hosted))),
        Layer.provide(Layer.succeed(SqlClient.SqlClient, sql))
      )
      // Its tables are created here; runners starting together take turns (see internal/migrations).
      const inner = yield* oneAtATime(sql, Layer.buildWithScope(durableLayer, yield* Effect.scope))
      const durable = Context.get(inner, Durable.Durable)

      const pollInterval = Duration.decode(options.pollInterval ?? "250 millis")
      const { store } = durable
      const programOf = (workflow: string, runId: string) =>
        Effect.suspend(() => {
          const program = options.workflows[workflow]
          return program === undefined ? Effect.dieMessage(unknownWorkflow(workflow, runId)) : Effect.succeed(program)
        })

      /**
       * Where run `runId` stands, as the store says: finished (done, failed or cancelled), suspended
       * with what it waits for (pending approvals, `sleep:<name>`), or on its way (undefined: running,
       * not started yet, or suspended with every approval it waited for decided, so about to continue).
       */
      const stateOf = (runId: string) =>
        Effect.gen(function* () {
          const row = yield* store.getRun(runId)
          if (row === undefined || row.status === "running") return undefined
          if (row.status !== "suspended") return { _tag: "Finished" } as const
          const pending = (yield* store.approvals(runId)).filter((a) => a.status === "pending").map((a) => a.name)
          const sleeps = (row.awaiting ?? "").split(",").filter((a) => a.startsWith("sleep:"))
          const awaiting = pending.length > 0 ? pending : sleeps
          return awaiting.length === 0 ? undefined : ({ _tag: "Suspended", awaiting } as const)
        })

      /**
       * Reads the run's state every `pollInterval` until it is finished, or (unless `throughSuspensions`)
       * suspended. A wait for a person may be long: a failed read (Postgres restarting) is retried.
       * The waits are real time whatever the caller's clock (a test's TestClock would never end them).
       */
      const watch = (runId: string, throughSuspensions: boolean) => {
        const read = stateOf(runId).pipe(Effect.retry(Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(120)))))
        const loop: Effect.Effect<{ readonly _tag: "Finished" } | { readonly _tag: "Suspended"; readonly awaiting: ReadonlyArray<string> }, SqlError> = Effect.flatMap(
          read,
          (state) =>
            state !== undefined && (state._tag === "Finished" || !throughSuspensions) ? Effect.succeed(state) : Effect.zipRight(Effect.sleep(pollInterval), loop)
        )
        return Effect.withClock(loop, liveClock)
      }

      /**
       * Starts or continues run `runId` from this process, whatever its role: the engine executes it
       * on the runner owning it, and this process follows it in the store. Once it is finished, its
       * outcome is read by replaying the journal here (no agent is called again); a suspended run is
       * `Suspended` with what it waits for, or (`throughSuspensions`) waited through.
       */
      const start = <A, E, Rp>(workflow: string, runId: string, program: Effect.Effect<A, E, Rp>, throughSuspensions: boolean) =>
        Effect.gen(function* () {
          yield* programOf(workflow, runId)
          const existing = yield* store.getRun(runId)
          if (existing === undefined || existing.status === "running" || existing.status === "suspended") {
            yield* store.ensureRun(runId, workflow, Date.now())
            yield* Durable.RunWorkflow.execute({ runId, workflow }, { discard: true }).pipe(Effect.provideService(WorkflowEngine.WorkflowEngine, offering))
            const state = yield* watch(runId, throughSuspensions)
            if (state._tag === "Suspended") return { _tag: "Suspended", awaiting: state.awaiting } as Durable.Outcome
          }
          return yield* durable.start(workflow, runId, program)
        })

      /** Waits until run `runId` is finished, then its outcome, replayed with its workflow's program here. */
      const awaitDone = (runId: string, first: Durable.Outcome): Effect.Effect<Exit.Exit<unknown, unknown>> =>
        first._tag === "Done"
          ? Effect.succeed(first.exit)
          : Effect.gen(function* () {
            yield* watch(runId, true)
            const row = yield* store.getRun(runId)
            const program = yield* programOf(row!.workflow, runId)
            const outcome = yield* durable.start(row!.workflow, runId, program.pipe(CallContext.withRun(runId, row!.workflow), Effect.provide(provided as Context.Context<any>)))
            return outcome._tag === "Done" ? outcome.exit : yield* Effect.dieMessage(`Run "${runId}" is finished but replays as suspended`)
          }).pipe(Effect.orDie)

      const durability: Workflow.Durability = {
        run: <A, E, Rp>(workflow: string, runId: string, program: Effect.Effect<A, E, Rp>) =>
          start(workflow, runId, program, true).pipe(
            Effect.orDie,
            Effect.flatMap((outcome) => (outcome._tag === "Done" ? (outcome.exit as Exit.Exit<A, E>) : Effect.dieMessage(`Run "${runId}" suspended`)))
          )
      }
      const clusterDurable: Durable.Service = { ...durable, start: (workflow, runId, program) => start(workflow, runId, program, false), awaitDone }
      const provided = Context.merge(outer, inner).pipe(
        Context.add(WorkflowEngine.WorkflowEngine, offering),
        Context.add(Durable.Durable, clusterDurable),
        Context.add(Workflow.CurrentDurability, durability)
      )
      yield* Deferred.succeed(built, { durable, context: provided })
      return provided as Context.Context<Provided>
    })
  )

const unknownWorkflow = (workflow: string, runId: string) =>
  `Run "${runId}": workflow "${workflow}" is not in this process's ClusterDurable workflows (every process of the cluster must list the same ones)`
