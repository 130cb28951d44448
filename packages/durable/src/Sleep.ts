/**
 * Durable sleep: "wait a day, then follow up" as a normal step of a durable run. The run suspends
 * (its process may exit) and the engine wakes it when the time has come, in whichever process
 * runs it then.
 */
import * as DurableClock from "@effect/workflow/DurableClock"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import { Duration, Effect, Option } from "effect"
import { NotInDurableRun } from "./DurableError.js"
import { CurrentRunScope } from "./internal/run.js"

/** Sleeps `duration` durably under `name` (unique in the run); a replay past it does not sleep again. */
export const sleep = (name: string, duration: Duration.DurationInput): Effect.Effect<void, NotInDurableRun> =>
  Effect.flatMap(CurrentRunScope, (scope) => {
    if (scope === undefined) return Effect.fail(NotInDurableRun.of(`Sleep.sleep("${name}")`))
    const run = scope.run
    // A finished run replaying has slept already.
    if (run.finished) return Effect.void
    return Effect.gen(function* () {
      const engine = yield* Effect.serviceOption(WorkflowEngine.WorkflowEngine)
      const instance = yield* Effect.serviceOption(WorkflowEngine.WorkflowInstance)
      if (Option.isNone(engine) || Option.isNone(instance)) return yield* Effect.die(new Error(`Sleep "${name}" cannot wait outside the engine`))
      yield* Effect.orDie(run.store.setStatus(run.runId, "suspended", Date.now(), { awaiting: `sleep:${name}` }))
      yield* DurableClock.sleep({ name, duration, inMemoryThreshold: Duration.zero }).pipe(
        Effect.provideService(WorkflowEngine.WorkflowEngine, engine.value),
        Effect.provideService(WorkflowEngine.WorkflowInstance, instance.value)
      )
      yield* Effect.orDie(run.store.setStatus(run.runId, "running", Date.now()))
    })
  })
