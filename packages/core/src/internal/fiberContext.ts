/**
 * Runs an effect on a fiber with the fiber's context replaced, restoring it afterwards however
 * the effect ends. This is `Effect.provide` for code that already holds the fiber and the context
 * to run with: one FiberRef write each way, nothing masked or allocated beyond that. The agent call
 * path runs it on every call, where `Effect.provide` and `Effect.locally` were most of the cost.
 */
import { type Context, Effect, type Fiber, FiberRef } from "effect"

export interface Hooks {
  /** Runs as the context is set (uninterruptibly: `after` always follows). */
  readonly before: () => void
  /** Runs as the context is restored. */
  readonly after: () => void
}

/** `effect` with `context` as the context of `fiber`, which must be the fiber it runs on, at once. */
export const provideOn = <A, E, R>(
  fiber: Fiber.RuntimeFiber<any, any>,
  context: Context.Context<never>,
  effect: Effect.Effect<A, E, R>,
  hooks?: Hooks
): Effect.Effect<A, E, R> => {
  const previous = fiber.currentContext
  if (context === previous && hooks === undefined) return effect
  const restore = FiberRef.update(FiberRef.currentContext, () => {
    hooks?.after()
    return previous
  })
  return Effect.uninterruptibleMask((interruptible) =>
    Effect.zipRight(
      FiberRef.update(FiberRef.currentContext, () => {
        hooks?.before()
        return context
      }),
      Effect.matchCauseEffect(interruptible(effect), {
        onFailure: (cause) => Effect.zipRight(restore, Effect.failCause(cause)),
        onSuccess: (value) => Effect.as(restore, value)
      })
    )
  )
}
