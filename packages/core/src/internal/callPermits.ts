/**
 * `maxConcurrentCalls` as a bound on work that cannot deadlock. A call holds a permit while its own
 * code runs and gives it back while it waits on the calls it makes (nested calls, local or remote),
 * taking one again when the last of them has ended. A pattern waiting on its steps therefore holds
 * no permit, and its steps can always get one: at any time at most `limit` calls run code of their
 * own, however deeply patterns nest and however many callers there are.
 *
 * (Holding the permit across nested calls deadlocks as soon as `limit` pattern calls wait on
 * steps that wait on permits; a permit per call tree would not bound a fan-out's work at all.)
 */
import { Effect, FiberRef } from "effect"

/** The permit of one call, shared by every fiber working for it (a fan-out's branches). */
interface Holder {
  readonly semaphore: Effect.Semaphore
  /** Whether the call holds its permit now (false while it waits on nested calls). */
  holding: boolean
  /** Nested calls of this call in flight. */
  waitingOn: number
  ended: boolean
}

/** The call this fiber works for; forked fibers (a fan-out's branches) work for the same one. */
const currentHolder = FiberRef.unsafeMake<Holder | undefined>(undefined, {
  fork: (holder) => holder,
  // A joined fiber's value never replaces its parent's: each fiber sets it only around a call.
  join: (parent) => parent
})

/** Marks the start of a nested call: the first one frees the caller's permit. */
const leave = (holder: Holder): Effect.Effect<void> =>
  Effect.suspend(() => {
    holder.waitingOn++
    if (!holder.holding) return Effect.void
    holder.holding = false
    return holder.semaphore.release(1)
  })

/**
 * Marks the end of a nested call: after the last one the caller takes a permit again before it
 * goes on. If it no longer needs it by the time it gets it (another nested call started, or it
 * ended), the permit goes straight back.
 */
const comeBack = (holder: Holder, restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>): Effect.Effect<void> =>
  Effect.suspend(() => {
    holder.waitingOn--
    if (holder.waitingOn > 0 || holder.ended || holder.holding) return Effect.void
    return Effect.flatMap(restore(holder.semaphore.take(1)), () => {
      if (holder.waitingOn > 0 || holder.ended || holder.holding) return holder.semaphore.release(1)
      holder.holding = true
      return Effect.void
    })
  })

/**
 * Runs `effect` (a call to another agent, local or remote) with the permit of the call this fiber
 * works for, if any, given back while it runs.
 */
export const awayWhile = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const holder = fiber.getFiberRef(currentHolder)
    return holder === undefined ? effect : awayFrom(holder, effect)
  })

const awayFrom = <A, E, R>(holder: Holder, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.zipRight(
      leave(holder),
      Effect.matchCauseEffect(restore(effect), {
        onFailure: (cause) => Effect.zipRight(comeBack(holder, restore), Effect.failCause(cause)),
        onSuccess: (value) => Effect.as(comeBack(holder, restore), value)
      })
    )
  )

/**
 * Runs a call's `effect` under a permit of `semaphore`: the caller's permit (if it is itself inside
 * a call) is given back while this call waits for its own and runs.
 */
export const withPermit = (semaphore: Effect.Semaphore) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  awayWhile(
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(semaphore.take(1)), () => {
        const holder: Holder = { semaphore, holding: true, waitingOn: 0, ended: false }
        return Effect.ensuring(
          restore(Effect.locally(effect, currentHolder, holder)),
          Effect.suspend(() => {
            holder.ended = true
            if (!holder.holding) return Effect.void
            holder.holding = false
            return semaphore.release(1)
          })
        )
      })
    )
  )
