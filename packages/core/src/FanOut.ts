/**
 * Runs effects all at once and collects each one's outcome: `AgentRuntime.callAll` and the
 * Parallel pattern's fan-out. `Effect.forEach` with unbounded concurrency does the same with more
 * bookkeeping per fiber (a fiber scope, FiberRef joins); measured here it took about twice as long
 * as this at 1,000 and 10,000 branches (see bench/ fan-out), so the fan-out path uses this.
 *
 * Structured all the same: each effect runs in a fiber of its own started with the caller's
 * FiberRefs and runtime flags (and context, unless its branch names one); interrupting the caller
 * interrupts every branch and waits for it; a branch ending other than by success or typed failure
 * (a defect, an interruption) interrupts the others and fails the fan-out with that cause.
 *
 * Each fiber starts at once, as `Effect.runFork` does, and runs until it first waits: with
 * 10,000 branches a scheduled start (what `Effect.fork` does) took about 15% longer here. */
import { Cause, type Context, Effect, Either, Exit, Fiber } from "effect"
import { contextOf, forkerFor, interruptAsFork, onExit } from "./internal/effectInternals.js"

/** One branch of `branches`: its effect, and the context its fiber starts with (default: the caller's). */
export interface Branch<A, E> {
  readonly effect: Effect.Effect<A, E>
  readonly context?: Context.Context<never>
}

/** Every effect's success or typed failure, in input order. */
export const either = <A, E, R>(effects: ReadonlyArray<Effect.Effect<A, E, R>>): Effect.Effect<Array<Either.Either<A, E>>, never, R> =>
  // A branch's fiber starts with the caller's context, which provides R.
  branches(effects.map((effect) => ({ effect: effect as Effect.Effect<A, E> })))

/**
 * `either` for branches that each start with a context of their own: a runtime's `callAll` starts
 * each call's fiber as the agent it calls, instead of switching the context inside the fiber and
 * back (which, held by every suspended branch, is what a large fan-out pays for).
 */
export const branches = <A, E>(all: ReadonlyArray<Branch<A, E>>): Effect.Effect<Array<Either.Either<A, E>>> =>
  all.length === 0
    ? Effect.succeed([])
    : Effect.withFiberRuntime((caller, status) =>
      Effect.async<Array<Either.Either<A, E>>>((resume) => {
        const fork = forkerFor(caller, status.runtimeFlags)
        const callerContext = contextOf(caller)
        const outcomes = new Array<Either.Either<A, E>>(all.length)
        // A fiber is dropped as it ends: 10,000 ended fibers kept to the last one's end are
        // copied by every young-generation collection until then (most of a large fan-out's GC).
        const fibers = new Array<Fiber.RuntimeFiber<A, E> | undefined>(all.length)
        let running = all.length
        let broken: Cause.Cause<never> | undefined
        const settled = (count: number) => {
          running -= count
          if (running === 0) resume(broken === undefined ? Effect.succeed(outcomes) : Effect.failCause(broken))
        }
        for (let i = 0; i < all.length; i++) {
          // A branch that broke the fan-out while it was starting: the rest never start.
          if (broken !== undefined) {
            settled(all.length - i)
            break
          }
          const branch = all[i]!
          // Started at once, as a bare fiber is: it runs here until it first waits (or ends), so a
          // suspended branch holds no scheduler entry, and its observer may run before the next starts.
          const fiber = fork(branch.context ?? callerContext, branch.effect)
          fibers[i] = fiber
          onExit(fiber, (exit) => {
            fibers[i] = undefined
            if (Exit.isSuccess(exit)) outcomes[i] = Either.right(exit.value)
            else {
              // A typed failure is an outcome; anything else (a defect, an interruption) breaks the fan-out.
              const failure = Cause.failureOrCause(exit.cause)
              if (Either.isLeft(failure)) outcomes[i] = Either.left(failure.left)
              else if (broken === undefined) {
                broken = failure.right
                for (const other of fibers) if (other !== undefined) interruptAsFork(other, caller)
              }
            }
            settled(1)
          })
        }
        return Effect.suspend(() => Fiber.interruptAllAs(fibers.filter((fiber) => fiber !== undefined), caller.id()))
      })
    )
