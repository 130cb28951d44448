/**
 * A workflow run: the root of one span tree and one run id for the cost ledger.
 */
import { Effect } from "effect"
import * as CallContext from "./CallContext.js"
import * as TraceContext from "./TraceContext.js"

export interface RunOptions {
  readonly runId?: string
  readonly sessionId?: string
  readonly userId?: string
}

/**
 * Runs `effect` as workflow `name`: root span `workflow <name>`, a fresh run id in the call context,
 * and the session and user on every span of the run (see `TraceContext.withSession`).
 */
export const run =
  (name: string, options: RunOptions = {}) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    const runId = options.runId ?? crypto.randomUUID()
    return effect.pipe(
      CallContext.withRun(runId, name),
      Effect.withSpan(`workflow ${name}`, {
        root: true,
        attributes: {
          "gen_ai.operation.name": "invoke_workflow",
          "aixfx.workflow.name": name,
          "aixfx.run.id": runId
        }
      }),
      TraceContext.withSession(options)
    )
  }
