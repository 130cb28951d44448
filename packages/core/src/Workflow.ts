/**
 * A workflow run: the root of one span tree and one run id for the cost ledger.
 */
import { Context, Effect } from "effect"
import * as CallContext from "./CallContext.js"
import { withSession } from "./internal/session.js"

export interface RunOptions {
  readonly runId?: string
  readonly sessionId?: string
  readonly userId?: string
}

/**
 * What makes a run durable: when a layer provides one (e.g. `@aixfx/durable`), `run` hands it the
 * program, which it executes as a journaled run keyed by `runId`. Absent (the default), a run is an
 * ordinary in-memory effect.
 */
export interface Durability {
  readonly run: <A, E, R>(workflow: string, runId: string, program: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export class CurrentDurability extends Context.Reference<CurrentDurability>()("@aixfx/core/Workflow/CurrentDurability", {
  defaultValue: (): Durability | undefined => undefined
}) {}

/**
 * Runs `effect` as workflow `name`: root span `workflow <name>`, a fresh run id in the call context,
 * and the session and user on every span of the run (see `TraceContext.withSession`). With a
 * `CurrentDurability` provided, the run is durable and keyed by `runId`.
 */
export const run =
  (name: string, options: RunOptions = {}) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    const runId = options.runId ?? crypto.randomUUID()
    const inRun = CallContext.withRun(runId, name)(effect)
    return Effect.flatMap(CurrentDurability, (durability) => durability === undefined ? inRun : durability.run(name, runId, inRun)).pipe(
      Effect.withSpan(`workflow ${name}`, {
        root: true,
        attributes: {
          "gen_ai.operation.name": "invoke_workflow",
          "aixfx.workflow.name": name,
          // Langfuse names the trace after its root span's attribute, not the span.
          "langfuse.trace.name": name,
          "aixfx.run.id": runId
        }
      }),
      withSession(options)
    )
  }
