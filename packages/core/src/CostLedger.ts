/**
 * Records every model call's usage and cost, attributed to its run, agent and pattern path, and
 * rolls them up: totals by run, agent and model, and a tree following nested patterns.
 */
import { Clock, Context, Effect, Layer, Option } from "effect"
import * as CallContext from "./CallContext.js"
import * as Pricing from "./Pricing.js"
import * as Usage from "./Usage.js"

export interface Entry {
  readonly runId: string | undefined
  /** The run's workflow name (`Workflow.run`), when the call ran inside one. */
  readonly workflow: string | undefined
  readonly agent: string | undefined
  readonly patternPath: ReadonlyArray<string>
  readonly provider: string
  readonly model: string
  readonly usage: Usage.Usage
  /** USD; `null` when the price is unknown. */
  readonly costUsd: number | null
  /** The date of the prices it was priced with (`Pricing.asOf`), when priced by a dated table. */
  readonly pricesAsOf?: string
  readonly durationMs: number
  readonly timestamp: number
  /** The error's tag when the call failed: failed calls are recorded too, with the usage they reported (usually none). */
  readonly error?: string
}

export interface Totals {
  readonly calls: number
  readonly errors: number
  readonly usage: Usage.Usage
  /** Sum of known costs. */
  readonly costUsd: number
  /** Calls whose price was unknown (their cost is not in `costUsd`). */
  readonly unpricedCalls: number
  /** The dates of the prices the priced calls used (distinct, sorted; empty when none was recorded). */
  readonly pricesAsOf: ReadonlyArray<string>
  readonly durationMs: number
}

export interface TreeNode {
  readonly kind: "run" | "pattern" | "agent" | "model"
  readonly name: string
  readonly totals: Totals
  readonly children: ReadonlyArray<TreeNode>
}

export interface Service {
  readonly record: (entry: Entry) => Effect.Effect<void>
  readonly entries: Effect.Effect<ReadonlyArray<Entry>>
  readonly clear: Effect.Effect<void>
}

export class CostLedger extends Context.Tag("@aixfx/core/CostLedger")<CostLedger, Service>() {}

export interface Options {
  /**
   * The most entries kept (default 100,000). Past it, the runs least recently active are dropped
   * whole (calls outside any run count as one run), so every run the ledger still holds is complete
   * and its report exact — except the latest run when it alone is past the bound (calls outside any
   * run, or one huge run): its oldest entries are dropped, a rolling window. A service that must
   * keep everything persists its entries (a store of its own).
   */
  readonly maxEntries?: number
}

const DEFAULT_MAX_ENTRIES = 100_000

/** An in-memory ledger: recording is O(1) (amortised over evictions), memory bounded by `maxEntries`. */
export const makeWith = (options: Options = {}): Effect.Effect<Service> =>
  Effect.sync(() => {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    let all: Array<Entry> = []
    // Entries per run, in order of last activity (a Map keeps insertion order; a record re-inserts).
    const perRun = new Map<string | undefined, number>()
    const evict = () => {
      // Down to 90% of the bound, so evictions (one pass over the array) are rare.
      let excess = all.length - Math.floor(maxEntries * 0.9)
      const dropped = new Set<string | undefined>()
      for (const [run, count] of perRun) {
        if (excess <= 0 || dropped.size === perRun.size - 1) break
        dropped.add(run)
        excess -= count
      }
      for (const run of dropped) perRun.delete(run)
      all = all.filter((e) => !dropped.has(e.runId))
      if (excess > 0) {
        // Only the latest run is left and it alone is past the bound (calls outside any run, or one
        // huge run): its oldest entries go, a rolling window.
        all = all.slice(excess)
        for (const run of perRun.keys()) perRun.set(run, all.length)
      }
    }
    return {
      record: (entry) =>
        Effect.sync(() => {
          all.push(entry)
          const count = perRun.get(entry.runId) ?? 0
          perRun.delete(entry.runId)
          perRun.set(entry.runId, count + 1)
          if (all.length > maxEntries) evict()
        }),
      entries: Effect.sync(() => all.slice()),
      clear: Effect.sync(() => {
        all = []
        perRun.clear()
      })
    }
  })

export const make: Effect.Effect<Service> = makeWith()

export const layer: Layer.Layer<CostLedger> = Layer.effect(CostLedger, make)

/** An in-memory ledger with options (e.g. its bound). */
export const layerWith = (options: Options): Layer.Layer<CostLedger> => Layer.effect(CostLedger, makeWith(options))

/** Records into the ledger when one is provided; does nothing otherwise. */
export const recordIfPresent = (entry: Entry): Effect.Effect<void> =>
  Effect.flatMap(Effect.serviceOption(CostLedger), Option.match({ onNone: () => Effect.void, onSome: (l) => l.record(entry) }))

export interface FinishedCall {
  readonly provider: string
  readonly model: string
  readonly usage: Usage.Usage
  /** `Clock.currentTimeMillis` when the call started. */
  readonly startedAt: number
  readonly error?: string
}

/**
 * Prices a finished model call with the `Pricing` in context, attributes it to the calling run,
 * agent and pattern path, and records it when a ledger is provided. Every kind of model call
 * (chat, stream, embeddings) is recorded through here.
 */
export const recordCall = (
  call: FinishedCall
): Effect.Effect<{
  readonly costUsd: number | null
  readonly pricesAsOf: string | undefined
  readonly context: CallContext.CallContext
  readonly durationMs: number
}> =>
  Effect.flatMap(Pricing.current, (pricing) =>
    Effect.flatMap(CallContext.get, (context) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        // A failed call that reported no usage cost nothing, whether or not its model has a price.
        const costUsd = call.error !== undefined && Usage.isEmpty(call.usage) ? 0 : pricing.price(call.provider, call.model, call.usage)
        const durationMs = now - call.startedAt
        const pricesAsOf = costUsd === null ? undefined : pricing.asOf
        return Effect.as(
          recordIfPresent({
            runId: context.runId,
            workflow: context.workflow,
            agent: context.agent,
            patternPath: context.patternPath,
            provider: call.provider,
            model: call.model,
            usage: call.usage,
            costUsd,
            ...(pricesAsOf === undefined ? {} : { pricesAsOf }),
            durationMs,
            timestamp: now,
            ...(call.error === undefined ? {} : { error: call.error })
          }),
          { costUsd, pricesAsOf, context, durationMs }
        )
      })))

export const entries: Effect.Effect<ReadonlyArray<Entry>, never, CostLedger> = Effect.flatMap(CostLedger, (l) => l.entries)

// ---- roll-ups (pure) -----------------------------------------------------------------------
export const emptyTotals: Totals = { calls: 0, errors: 0, usage: Usage.empty, costUsd: 0, unpricedCalls: 0, pricesAsOf: [], durationMs: 0 }

/** The distinct dates of both lists, sorted. */
export const mergeDates = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): ReadonlyArray<string> =>
  b.every((date) => a.includes(date)) ? a : [...new Set([...a, ...b])].sort()

export const totals = (entries: ReadonlyArray<Entry>): Totals =>
  entries.reduce<Totals>(
    (t, e) => ({
      calls: t.calls + 1,
      errors: t.errors + (e.error === undefined ? 0 : 1),
      usage: Usage.add(t.usage, e.usage),
      costUsd: t.costUsd + (e.costUsd ?? 0),
      unpricedCalls: t.unpricedCalls + (e.costUsd === null ? 1 : 0),
      pricesAsOf: e.pricesAsOf === undefined ? t.pricesAsOf : mergeDates(t.pricesAsOf, [e.pricesAsOf]),
      durationMs: t.durationMs + e.durationMs
    }),
    emptyTotals
  )

const groupBy = (entries: ReadonlyArray<Entry>, key: (e: Entry) => string): ReadonlyArray<readonly [string, ReadonlyArray<Entry>]> => {
  const groups = new Map<string, Array<Entry>>()
  for (const e of entries) {
    const k = key(e)
    const group = groups.get(k)
    if (group === undefined) groups.set(k, [e])
    else group.push(e)
  }
  return [...groups.entries()]
}

const totalsBy = (entries: ReadonlyArray<Entry>, key: (e: Entry) => string): ReadonlyMap<string, Totals> =>
  new Map(groupBy(entries, key).map(([k, group]) => [k, totals(group)]))

export const byAgent = (entries: ReadonlyArray<Entry>) => totalsBy(entries, (e) => e.agent ?? "(no agent)")
export const byModel = (entries: ReadonlyArray<Entry>) => totalsBy(entries, (e) => `${e.provider}:${e.model}`)
export const byRun = (entries: ReadonlyArray<Entry>) => totalsBy(entries, (e) => e.runId ?? "(no run)")

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A run as a report shows it: its workflow's name and its id, which tells runs of one workflow
 * apart; a generated (UUID) id by its first 8 digits, an id the caller chose whole.
 */
const runName = (runId: string | undefined, entries: ReadonlyArray<Entry>): string => {
  if (runId === undefined) return "(no run)"
  const workflow = entries.find((e) => e.workflow !== undefined)?.workflow
  return workflow === undefined ? runId : `${workflow} (${UUID.test(runId) ? runId.slice(0, 8) : runId})`
}

/**
 * run → pattern → nested pattern … → agent → model; runs are told apart by id and named by workflow.
 * Every figure sums model calls, time too, except a run's time when `runWallTimesMs` has its id:
 * then it is that (the run's wall time, e.g. its workflow span's duration).
 */
export const tree = (entries: ReadonlyArray<Entry>, runWallTimesMs: ReadonlyMap<string, number> = new Map()): ReadonlyArray<TreeNode> => {
  const level = (group: ReadonlyArray<Entry>, depth: number): ReadonlyArray<TreeNode> => {
    const inPattern = group.filter((e) => e.patternPath.length > depth)
    const direct = group.filter((e) => e.patternPath.length <= depth)
    const patterns = groupBy(inPattern, (e) => e.patternPath[depth]!).map(([name, g]): TreeNode => ({
      kind: "pattern",
      name,
      totals: totals(g),
      children: level(g, depth + 1)
    }))
    const agents = groupBy(direct, (e) => e.agent ?? "(no agent)").map(([name, g]): TreeNode => ({
      kind: "agent",
      name,
      totals: totals(g),
      children: groupBy(g, (e) => `${e.provider}:${e.model}`).map(([model, m]) => ({ kind: "model", name: model, totals: totals(m), children: [] }))
    }))
    return [...patterns, ...agents]
  }
  return groupBy(entries, (e) => e.runId ?? "(no run)").map(([id, g]) => {
    const wallTime = runWallTimesMs.get(id)
    return { kind: "run", name: runName(g[0]!.runId, g), totals: wallTime === undefined ? totals(g) : { ...totals(g), durationMs: wallTime }, children: level(g, 0) }
  })
}
