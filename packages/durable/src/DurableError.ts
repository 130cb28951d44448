/**
 * What the durable API fails with when given bad input: each names the run (and approval) at fault.
 */
import { Schema } from "effect"

const fields = { message: Schema.String, runId: Schema.String }

/** No run with this id is in the store. */
export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", fields) {
  static of(runId: string) {
    return new RunNotFound({ runId, message: `No durable run "${runId}" in the store` })
  }
}

/** The run is not waiting for this approval (it never asked for it, or it has not asked yet). */
export class RunNotWaiting extends Schema.TaggedError<RunNotWaiting>()("RunNotWaiting", {
  ...fields,
  approval: Schema.String,
  status: Schema.String
}) {
  static of(runId: string, approval: string, status: string, awaiting: ReadonlyArray<string>) {
    return new RunNotWaiting({
      runId,
      approval,
      status,
      message: `Run "${runId}" is not waiting for approval "${approval}" (it is ${status}${
        awaiting.length === 0 ? "" : `, awaiting ${awaiting.join(", ")}`
      })`
    })
  }
}

/** The approval was already approved or rejected; a decision is final. */
export class ApprovalAlreadyDecided extends Schema.TaggedError<ApprovalAlreadyDecided>()("ApprovalAlreadyDecided", {
  ...fields,
  approval: Schema.String,
  decision: Schema.String
}) {
  static of(runId: string, approval: string, decision: string) {
    return new ApprovalAlreadyDecided({
      runId,
      approval,
      decision,
      message: `Approval "${approval}" of run "${runId}" was already ${decision}; a decision is final`
    })
  }
}

/** The approved (edited) payload does not fit the schema the run asked with. */
export class ApprovalPayloadInvalid extends Schema.TaggedError<ApprovalPayloadInvalid>()("ApprovalPayloadInvalid", {
  ...fields,
  approval: Schema.String,
  issue: Schema.String
}) {}

/** The approval's deadline passed with no decision, and its `onTimeout` says to fail. */
export class ApprovalTimedOut extends Schema.TaggedError<ApprovalTimedOut>()("ApprovalTimedOut", {
  ...fields,
  approval: Schema.String
}) {}

/**
 * The run's journal does not fit the code replaying it: a step asks for a different input than the
 * journal recorded, or the journal holds steps the code never asks for. The workflow's steps changed
 * since the run started; the journal is left as it was. The run fails with it (in its error channel:
 * it is an `AgentError`, see below), whatever the code around the step does with a failed step.
 */
export class JournalMismatch extends Schema.TaggedError<JournalMismatch>()("JournalMismatch", {
  ...fields,
  step: Schema.String,
  reason: Schema.String
}) {
  static of(runId: string, step: string, reason: string) {
    return new JournalMismatch({
      runId,
      step,
      reason,
      message: `Run "${runId}" cannot replay its journal at step "${step}": ${reason}. The workflow's steps changed since the run started; start a new run (the journal is unchanged)`
    })
  }
}

/**
 * The run was cancelled (`Runs.cancel`, `aixfx cancel`): what the run's caller gets when the cancel
 * interrupts it, and what starting or resuming it again gets (it does not run again).
 */
export class RunCancelled extends Schema.TaggedError<RunCancelled>()("RunCancelled", fields) {
  static of(runId: string) {
    return new RunCancelled({ runId, message: `Run "${runId}" was cancelled; it does not run again` })
  }
}

/** A durable operation (an approval, a durable sleep) was asked for outside a durable run. */
export class NotInDurableRun extends Schema.TaggedError<NotInDurableRun>()("NotInDurableRun", {
  message: Schema.String,
  operation: Schema.String
}) {
  static of(operation: string) {
    return new NotInDurableRun({
      operation,
      message: `${operation} needs a durable run: run it inside Workflow.run(name, { runId }) with the durable layer provided`
    })
  }
}

// A durable run's steps are agent calls: these are how a run (and each of its calls) can end besides
// the agents' own errors, so they join the open `AgentError` union and callers catch them by tag.
declare module "@aixfx/core" {
  interface CustomAgentErrors {
    JournalMismatch: JournalMismatch
    RunCancelled: RunCancelled
  }
}
