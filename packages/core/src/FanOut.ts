/**
 * Runs effects all at once and collects each one's outcome: `AgentRuntime.callAll` and the
 * Parallel pattern's fan-out. `Effect.forEach` with unbounded concurrency does the same with more
 * bookkeeping per fiber (a fiber scope, FiberRef joins); measured here it took about twice as long
 * as this at 1,000 and 10,000 branches (see bench/ fan-out), so the fan-out path uses this.
 *
 * Structured all the same: each effect runs in a fiber of its own started with the caller's
 * context, FiberRefs and runtime flags; interrupting the caller interrupts every branch and waits
 * for it; a branch ending other than by success or typed failure (a defect, an interruption)
 * interrupts the others and fails the fan-out with that cause.
 */
import { type Cause, Effect, type Either, Exit, Fiber, Runtime } from "effect"

/** Every effect's success or typed failure, in input order. */
export const either = <A, E, R>(effects: ReadonlyArray<Effect.Effect<A, E, R>>): Effect.Effect<Array<Either.Either<A, E>>, never, R> =>
  effects.length === 0
    ? Effect.succeed([])
    : Effect.flatMap(Effect.runtime<R>(), (runtime) =>
      Effect.withFiberRuntime<Array<Either.Either<A, E>>, never, R>((caller) =>
        Effect.async<Array<Either.Either<A, E>>>((resume) => {
          const fork = Runtime.runFork(runtime)
          const outcomes = new Array<Either.Either<A, E>>(effects.length)
          const fibers: Array<Fiber.RuntimeFiber<Either.Either<A, E>>> = []
          let running = effects.length
          let broken: Cause.Cause<never> | undefined
          effects.forEach((effect, i) => {
            // Started by the scheduler, not here, so every fiber is in `fibers` before any ends.
            const fiber = fork(Effect.either(effect), { immediate: false })
            fibers.push(fiber)
            fiber.addObserver((exit) => {
              if (Exit.isSuccess(exit)) outcomes[i] = exit.value
              else if (broken === undefined) {
                broken = exit.cause
                for (const other of fibers) if (other !== fiber) other.unsafeInterruptAsFork(caller.id())
              }
              if (--running === 0) resume(broken === undefined ? Effect.succeed(outcomes) : Effect.failCause(broken))
            })
          })
          return Fiber.interruptAllAs(fibers, caller.id())
        })))
