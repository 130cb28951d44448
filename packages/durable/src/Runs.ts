/**
 * The runs in the store and what they wait for; approving, rejecting, resuming and cancelling them.
 * Works from any process that opens the store (the CLI opens it without running runs); a runner
 * that has the run's program notices a decision within its poll interval and continues the run.
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Exit } from "effect"
import { deferredOf } from "./Approval.js"
import { Durable, RunWorkflow } from "./Durable.js"
import { ApprovalAlreadyDecided, RunCancelled, RunNotFound, RunNotWaiting } from "./DurableError.js"
import type { ApprovalRow, RunRow, RunStatus } from "./internal/store.js"

export type { RunStatus }

export interface PendingApproval {
  readonly name: string
  /** What the run asks to approve (JSON). */
  readonly payload: unknown
  readonly requestedAt: number
}

export interface RunInfo {
  readonly runId: string
  readonly workflow: string
  readonly status: RunStatus
  /** What a suspended run waits for: its pending approvals. */
  readonly awaiting: ReadonlyArray<PendingApproval>
  readonly error: string | null
  readonly createdAt: number
  readonly updatedAt: number
}

const parse = (json: string): unknown => {
  try {
    return JSON.parse(json)
  } catch {
    return json
  }
}

const infoOf = (run: RunRow, approvals: ReadonlyArray<ApprovalRow>): RunInfo => ({
  runId: run.runId,
  workflow: run.workflow,
  status: run.status,
  awaiting: approvals.filter((a) => a.status === "pending").map((a) => ({ name: a.name, payload: parse(a.payload), requestedAt: a.requestedAt })),
  error: run.error,
  createdAt: run.createdAt,
  updatedAt: run.updatedAt
})

/** Every run in the store, oldest first. */
export const list: Effect.Effect<ReadonlyArray<RunInfo>, SqlError, Durable> = Effect.gen(function* () {
  const { store } = yield* Durable
  const runs = yield* store.listRuns
  return yield* Effect.forEach(runs, (run) => Effect.map(store.approvals(run.runId), (approvals) => infoOf(run, approvals)))
})

/** One run, or `RunNotFound`. */
export const get = (runId: string): Effect.Effect<RunInfo, RunNotFound | SqlError, Durable> =>
  Effect.gen(function* () {
    const { store } = yield* Durable
    const run = yield* store.getRun(runId)
    if (run === undefined) return yield* Effect.fail(RunNotFound.of(runId))
    return infoOf(run, yield* store.approvals(runId))
  })

const executionIdOf = (run: RunRow) => RunWorkflow.executionId({ runId: run.runId, workflow: run.workflow })

export type DecideError = RunNotFound | RunNotWaiting | ApprovalAlreadyDecided | SqlError

const decide = (runId: string, approval: string, decision: { readonly status: "approved" | "rejected"; readonly payload: string | null; readonly reason: string | null }) =>
  Effect.gen(function* () {
    const { engine, store } = yield* Durable
    const run = yield* store.getRun(runId)
    if (run === undefined) return yield* Effect.fail(RunNotFound.of(runId))
    const row = yield* store.getApproval(runId, approval)
    if (row === undefined) {
      const pending = (yield* store.approvals(runId)).filter((a) => a.status === "pending").map((a) => a.name)
      return yield* Effect.fail(RunNotWaiting.of(runId, approval, run.status, pending))
    }
    if (row.status !== "pending") return yield* Effect.fail(ApprovalAlreadyDecided.of(runId, approval, row.status))
    // Atomic: of two deciders (or a decider and the deadline) exactly one wins.
    if (!(yield* store.decide(runId, approval, decision, Date.now()))) {
      const now = yield* store.getApproval(runId, approval)
      return yield* Effect.fail(ApprovalAlreadyDecided.of(runId, approval, now?.status ?? "decided"))
    }
    const deferred = deferredOf(approval)
    yield* engine.deferredDone(deferred, { workflowName: RunWorkflow.name, executionId: yield* executionIdOf(run), deferredName: deferred.name, exit: Exit.void })
  })

/** Approves `approval` of run `runId`; with `payload` (any JSON value), the run gets that instead of what it asked with. */
export const approve = (runId: string, approval: string, options: { readonly payload?: unknown } = {}): Effect.Effect<void, DecideError, Durable> =>
  decide(runId, approval, { status: "approved", payload: options.payload === undefined ? null : JSON.stringify(options.payload), reason: null })

/** Rejects `approval` of run `runId`: the run's request fails with `ApprovalRejected` carrying `reason`. */
export const reject = (runId: string, approval: string, reason = "rejected"): Effect.Effect<void, DecideError, Durable> =>
  decide(runId, approval, { status: "rejected", payload: null, reason })

/** Asks the engine to continue a suspended run (a runner with the run's program picks it up); a cancelled run is `RunCancelled`. */
export const resume = (runId: string): Effect.Effect<void, RunNotFound | RunCancelled | SqlError, Durable> =>
  Effect.gen(function* () {
    const { engine, store } = yield* Durable
    const run = yield* store.getRun(runId)
    if (run === undefined) return yield* Effect.fail(RunNotFound.of(runId))
    if (run.status === "cancelled") return yield* Effect.fail(RunCancelled.of(runId))
    yield* engine.resume(RunWorkflow, yield* executionIdOf(run))
  })

/**
 * Cancels a run: it is marked cancelled, and interrupted where it runs — the runner executing it
 * notices within its poll interval and interrupts the step in flight; a suspended run at once. Its
 * caller, and whoever starts or resumes it later, gets `RunCancelled`.
 */
export const cancel = (runId: string): Effect.Effect<void, RunNotFound | SqlError, Durable> =>
  Effect.gen(function* () {
    const { engine, store } = yield* Durable
    const run = yield* store.getRun(runId)
    if (run === undefined) return yield* Effect.fail(RunNotFound.of(runId))
    yield* store.setStatus(runId, "cancelled", Date.now())
    yield* engine.interrupt(RunWorkflow, yield* executionIdOf(run))
  })
