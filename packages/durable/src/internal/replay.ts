/**
 * The order a replay hands out journaled steps in. A step's journal entry carries `seq`, the order
 * the step finished in when it first ran. On replay a journaled step is delivered only after every
 * step that finished before it (and is not inside it) was delivered, and a step with no entry (it
 * runs for real) starts only once every journaled step outside it was delivered. So a race (Parallel's
 * firstSuccess, Ensemble's early stop) sees its steps finish in the order they first did and decides
 * the same way, and no step re-runs while the journal still holds what happened next.
 */
import { Deferred, type Duration, Effect, FiberId } from "effect"
import type { JournalMismatch } from "../DurableError.js"

export interface Entry {
  readonly key: string
  readonly seq: number
}

/** Whether `key` is a step inside the step `ancestor` (its keys extend the ancestor's). */
export const isInside = (key: string, ancestor: string): boolean => key.length > ancestor.length && key.startsWith(ancestor) && key[ancestor.length] === "/"

interface Waiter {
  readonly ready: () => boolean
  readonly wake: Deferred.Deferred<void>
}

export class Replay {
  private readonly bySeq: ReadonlyArray<Entry>
  private readonly delivered: Array<boolean>
  private cursor = 0
  private readonly waiters = new Set<Waiter>()
  /** Bumped at every delivery: a waiter that sees no progress for `stallTimeout` reports a mismatch. */
  private progress = 0

  constructor(
    entries: ReadonlyArray<Entry>,
    private readonly stallTimeout: Duration.Duration,
    /** Fails the run with a `JournalMismatch` at `step` (see `RunState.mismatch`). */
    private readonly mismatch: (step: string, reason: string) => Effect.Effect<never, JournalMismatch>
  ) {
    this.bySeq = [...entries].sort((a, b) => a.seq - b.seq)
    this.delivered = this.bySeq.map(() => false)
  }

  /** True once every journaled step was delivered (the run is past its journal). */
  get caughtUp(): boolean {
    return this.cursor >= this.bySeq.length
  }

  /** Marks `entry` and every step inside it as delivered (the inner ones are never asked for). */
  private deliver(entry: Entry): void {
    for (let i = this.cursor; i < this.bySeq.length; i++) {
      const other = this.bySeq[i]!
      if (other === entry || isInside(other.key, entry.key)) this.delivered[i] = true
    }
    while (this.cursor < this.bySeq.length && this.delivered[this.cursor]) this.cursor++
    this.progress++
    for (const waiter of [...this.waiters]) {
      if (waiter.ready()) {
        this.waiters.delete(waiter)
        Deferred.unsafeDone(waiter.wake, Effect.void)
      }
    }
  }

  /** Whether every undelivered step before `limit` (exclusive) is inside `key`. */
  private clearBefore(limit: number, key: string): boolean {
    for (let i = this.cursor; i < limit; i++) {
      if (!this.delivered[i] && !isInside(this.bySeq[i]!.key, key)) return false
    }
    return true
  }

  private wait(step: string, ready: () => boolean, what: string): Effect.Effect<void, JournalMismatch> {
    if (ready()) return Effect.void
    const once: Effect.Effect<void, JournalMismatch> = Effect.suspend(() => {
      const wake = Deferred.unsafeMake<void>(FiberId.none)
      const waiter: Waiter = { ready, wake }
      this.waiters.add(waiter)
      const seen = this.progress
      return Deferred.await(wake).pipe(
        Effect.timeoutTo({ duration: this.stallTimeout, onSuccess: () => true, onTimeout: () => false }),
        Effect.ensuring(Effect.sync(() => this.waiters.delete(waiter))),
        Effect.flatMap((woke) => {
          if (woke || ready()) return Effect.void
          if (this.progress !== seen) return once
          const pending = this.bySeq.filter((_, i) => !this.delivered[i]).map((e) => e.key)
          return this.mismatch(step, `${what}, but the journal's ${pending.slice(0, 5).join(", ")}${pending.length > 5 ? ", ..." : ""} were never asked for`)
        })
      )
    })
    return once
  }

  /** Waits for the journaled step's turn, then delivers it; an interrupted wait gives its turn up. */
  journaled(entry: Entry): Effect.Effect<void, JournalMismatch> {
    const index = this.bySeq.indexOf(entry)
    return this.wait(entry.key, () => this.clearBefore(index, entry.key), "it waits for the steps that finished before it").pipe(
      Effect.onExit(() => Effect.sync(() => this.deliver(entry)))
    )
  }

  /** Waits until every journaled step outside `key` was delivered, so the step may run for real. */
  live(key: string, finished: boolean): Effect.Effect<void, JournalMismatch> {
    return finished
      ? this.wait(key, () => false, "the run is finished and this step has no journal entry")
      : this.wait(key, () => this.clearBefore(this.bySeq.length, key), "it has no journal entry and waits for the journaled steps")
  }
}
