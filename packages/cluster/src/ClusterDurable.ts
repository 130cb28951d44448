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
 */
import { type AgentRuntime, CallContext, type CostLedger, Workflow } from "@aixfx/core"
import { AgentRuntime as Runtime } from "@aixfx/core"
import { Durable } from "@aixfx/durable"
import type { MessageStorage, Sharding } from "@effect/cluster"
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { Context, Deferred, type Duration, Effect, type Either, type Exit, FiberId, Layer } from "effect"
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
      const context = Context.merge(outer, inner).pipe(Context.add(WorkflowEngine.WorkflowEngine, offering))
      yield* Deferred.succeed(built, { durable, context })

      /**
       * A run started from any process executes on the runner owning it; this process waits for the
       * engine to report it finished, then reads its outcome by replaying the journal here (no agent
       * is called again).
       */
      const durability: Workflow.Durability = {
        run: <A, E, Rp>(workflow: string, runId: string, program: Effect.Effect<A, E, Rp>) =>
          Effect.gen(function* () {
            if (options.workflows[workflow] === undefined) return yield* Effect.dieMessage(unknownWorkflow(workflow, runId))
            yield* Durable.RunWorkflow.execute({ runId, workflow }).pipe(Effect.provideService(WorkflowEngine.WorkflowEngine, offering))
            const row = yield* Effect.orDie(durable.store.getRun(runId))
            if (row === undefined || row.status === "running" || row.status === "suspended") {
              return yield* Effect.dieMessage(`Run "${runId}" of workflow "${workflow}" ended on the engine but its store row says ${row?.status ?? "nothing"}`)
            }
            const first = yield* Effect.orDie(durable.start(workflow, runId, program))
            return (yield* durable.awaitDone(runId, first)) as Exit.Exit<A, E>
          }).pipe(Effect.flatten)
      }
      return Context.add(context, Workflow.CurrentDurability, durability) as Context.Context<Provided>
    })
  )

const unknownWorkflow = (workflow: string, runId: string) =>
  `Run "${runId}": workflow "${workflow}" is not in this process's ClusterDurable workflows (every process of the cluster must list the same ones)`
