/**
 * The costs of served calls their callers cancelled: a cancelled call gets no trailers, so its
 * caller asks for them (`CallCosts`) by the call's agent and message id — unique per call already
 * (a fan-out sends one message to different agents, a retry follows the attempt it repeats), so
 * nothing more goes on the wire: a header unique to every call cost a fifth of a call's latency
 * (HTTP/2 header compression indexes every new value). Kept per call until taken, for a minute
 * after the call ended, at most `maxKept` calls (the oldest go first).
 */
import { Effect } from "effect"
import type * as CostLedger from "../../CostLedger.js"

/** The key of a call: its agent and its message's id (none for a message without an id). */
export const callKey = (agent: string, messageId: string): string | undefined =>
  messageId === "" ? undefined : `${agent}\u0000${messageId}`

const keptForMs = 60_000
const maxKept = 10_000

type Entries = ReadonlyArray<CostLedger.Entry>

export interface CancelledCosts {
  /** The call of this key (`callKey`) started: an ask for it waits until it has ended. */
  readonly started: (key: string) => void
  /** The call ended; its costs are kept for its caller when it was cancelled (or asked for). */
  readonly ended: (key: string, costs: Entries, cancelled: boolean) => void
  /** The costs of the cancelled call `key`, once it has ended; each call's once; none for a call not known. */
  readonly take: (key: string) => Effect.Effect<Entries>
}

export const make = (): CancelledCosts => {
  // A running call's askers, waiting for its end (null: none yet).
  const running = new Map<string, Array<(costs: Entries) => void> | null>()
  const kept = new Map<string, { readonly costs: Entries; readonly until: number }>()

  const keep = (key: string, costs: Entries) => {
    const now = Date.now()
    kept.set(key, { costs, until: now + keptForMs })
    // Oldest first (insertion order): drop the expired, and any over the limit.
    for (const [oldest, { until }] of kept) {
      if (until > now && kept.size <= maxKept) break
      kept.delete(oldest)
    }
  }

  return {
    started: (key) => void running.set(key, null),
    ended: (key, costs, cancelled) => {
      const askers = running.get(key)
      running.delete(key)
      if (askers != null) for (const asker of askers) asker(costs)
      else if (cancelled && costs.length > 0) keep(key, costs)
    },
    take: (key) =>
      Effect.suspend(() => {
        const done = kept.get(key)
        if (done !== undefined) {
          kept.delete(key)
          return Effect.succeed(done.costs)
        }
        if (!running.has(key)) return Effect.succeed([])
        return Effect.async<Entries>((resume) => {
          const asker = (costs: Entries) => resume(Effect.succeed(costs))
          const askers = running.get(key) ?? []
          askers.push(asker)
          running.set(key, askers)
          return Effect.sync(() => {
            const waiting = running.get(key)
            const at = waiting?.indexOf(asker) ?? -1
            if (at >= 0) waiting!.splice(at, 1)
          })
        })
      })
  }
}
