/**
 * Human in the loop: a durable run asks a person and waits, durably, for as long as it takes. The
 * run suspends (its process may exit); `Runs.approve` / `reject` (or the `aixfx` CLI) from any
 * process decides, and the run continues from there with the approved, perhaps edited, payload.
 */
import { type Agent, ApprovalRejected } from "@aixfx/core"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { type Duration, Effect, Option, ParseResult, Schema } from "effect"
import { ApprovalPayloadInvalid, ApprovalTimedOut, NotInDurableRun } from "./DurableError.js"
import { CurrentRunScope } from "./internal/run.js"
import type { ApprovalRow } from "./internal/store.js"

export interface RequestOptions<A, I> {
  /** The approval's name, unique in the run: what `aixfx approve <run> <name>` refers to. */
  readonly name: string
  /** What the person is asked to approve (shown by `aixfx runs`; they may edit it). */
  readonly payload: A
  /** The payload's schema: encodes it for the store and decodes an edited one (default: JSON as is). */
  readonly schema?: Schema.Schema<A, I>
  /** After this long with no decision, `onTimeout` decides. */
  readonly deadline?: Duration.DurationInput
  /** What a passed deadline means: "reject" (the default: `ApprovalRejected`), "approve" the payload as is, or "fail" (`ApprovalTimedOut`). */
  readonly onTimeout?: "reject" | "approve" | "fail"
}

export type RequestError = ApprovalRejected | ApprovalPayloadInvalid | ApprovalTimedOut | NotInDurableRun

/** The deferred a run's approval waits on: completed (with no value) by a decision or the deadline. */
export const deferredOf = (approval: string) => DurableClock.make({ name: `approval/${approval}`, duration: 0 }).deferred

const decided = (row: ApprovalRow | undefined) => row !== undefined && row.status !== "pending"

/**
 * Asks for approval and waits for it inside a durable run: the approved payload (the person's edit,
 * decoded with `schema`, or the original), or `ApprovalRejected` naming the run, the approval and
 * the reason.
 */
export const request = <A, I = A>(options: RequestOptions<A, I>): Effect.Effect<A, RequestError> =>
  Effect.flatMap(CurrentRunScope, (scope): Effect.Effect<A, RequestError> => {
    if (scope === undefined) return Effect.fail(NotInDurableRun.of(`Approval.request("${options.name}")`))
    const run = scope.run
    const store = run.store
    const schema = options.schema ?? (Schema.Unknown as unknown as Schema.Schema<A, I>)
    const name = run.approvalName(options.name)
    const invalid = (issue: string) =>
      new ApprovalPayloadInvalid({ runId: run.runId, approval: name, issue, message: `Approval "${name}" of run "${run.runId}": the approved payload is invalid: ${issue}` })
    const orDie = Effect.orDie
    return Effect.gen(function* () {
      const encoded = yield* Effect.mapError(Schema.encode(schema)(options.payload), (e) => invalid(ParseResult.TreeFormatter.formatErrorSync(e)))
      yield* orDie(store.requestApproval(run.runId, name, JSON.stringify(encoded), Date.now()))
      let row = yield* orDie(store.getApproval(run.runId, name))
      if (!decided(row)) {
        yield* orDie(store.setStatus(run.runId, "suspended", Date.now(), { awaiting: name }))
        yield* waitForDecision(name, options.deadline)
        yield* orDie(store.setStatus(run.runId, "running", Date.now()))
        row = yield* orDie(store.getApproval(run.runId, name))
        if (!decided(row)) {
          // The deadline passed first: its default decision, unless a person got there before it.
          const status = options.onTimeout === "approve" ? "approved" : "rejected"
          const won = yield* orDie(store.decide(run.runId, name, { status, payload: null, reason: "the deadline passed with no decision" }, Date.now()))
          row = yield* orDie(store.getApproval(run.runId, name))
          if (won && options.onTimeout === "fail") {
            return yield* Effect.fail(new ApprovalTimedOut({ runId: run.runId, approval: name, message: `Approval "${name}" of run "${run.runId}": the deadline passed with no decision` }))
          }
        }
      }
      const final = row!
      if (final.status === "rejected") {
        return yield* Effect.fail(
          new ApprovalRejected({
            runId: run.runId,
            approval: name,
            reason: final.reason ?? "",
            message: `Approval "${name}" of run "${run.runId}" was rejected${final.reason ? `: ${final.reason}` : ""}`
          })
        )
      }
      const json = yield* Effect.try({ try: () => JSON.parse(final.decidedPayload ?? final.payload) as I, catch: (e) => invalid(`not JSON: ${(e as Error).message}`) })
      return yield* Effect.mapError(Schema.decodeUnknown(schema)(json), (e) => invalid(ParseResult.TreeFormatter.formatErrorSync(e)))
    })
  })

/** Suspends the run until the approval's deferred completes (a decision, or the deadline's clock). */
const waitForDecision = (name: string, deadline: Duration.DurationInput | undefined) =>
  Effect.gen(function* () {
    const engine = yield* Effect.serviceOption(WorkflowEngine.WorkflowEngine)
    const instance = yield* Effect.serviceOption(WorkflowEngine.WorkflowInstance)
    if (Option.isNone(engine) || Option.isNone(instance)) return yield* Effect.die(new Error(`Approval "${name}" cannot wait outside the engine`))
    if (deadline !== undefined) {
      const clock = DurableClock.make({ name: `approval/${name}`, duration: deadline })
      yield* engine.value.scheduleClock(instance.value.workflow, { executionId: instance.value.executionId, clock })
    }
    yield* DurableDeferred.await(deferredOf(name))
  }) as Effect.Effect<void>

/** Approval for `needsApproval` tools: the tool call's arguments are the payload, named `<agent>.<tool>`. */
export const toolApproval: Agent.ToolApproval = (request) =>
  request_({ name: `${request.agent}.${request.tool}`, payload: JSON.parse(request.arguments) as unknown }).pipe(
    Effect.map((args) => JSON.stringify(args)),
    // A tool's caller only knows agent errors: the other outcomes are rejections with their reason.
    Effect.catchTags({
      ApprovalPayloadInvalid: (e) => Effect.fail(new ApprovalRejected({ runId: e.runId, approval: e.approval, reason: e.issue, message: e.message })),
      ApprovalTimedOut: (e) => Effect.fail(new ApprovalRejected({ runId: e.runId, approval: e.approval, reason: "the deadline passed", message: e.message })),
      NotInDurableRun: (e) => Effect.fail(new ApprovalRejected({ runId: "", approval: `${request.agent}.${request.tool}`, reason: e.message, message: e.message }))
    })
  )
const request_ = request
