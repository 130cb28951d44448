import { CostLedger, Usage } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const entry = (runId: string | undefined, costUsd = 0.001): CostLedger.Entry => ({
  runId,
  workflow: "w",
  agent: "a",
  patternPath: [],
  provider: "openai",
  model: "gpt-4o",
  usage: Usage.make({ inputTokens: 10, outputTokens: 5 }),
  costUsd,
  durationMs: 1,
  timestamp: 0
})

describe("CostLedger (in memory)", () => {
  it.effect("stays within its bound by dropping the least recently active runs whole: the runs it holds report exactly", () =>
    Effect.gen(function* () {
      const ledger = yield* CostLedger.makeWith({ maxEntries: 100 })
      // A long run that stays active, and many short runs of 7 calls each.
      for (let i = 0; i < 60; i++) {
        yield* ledger.record(entry("long"))
        for (let j = 0; j < 7; j++) yield* ledger.record(entry(`short-${i}`))
      }
      const held = yield* ledger.entries
      assert.isAtMost(held.length, 100)
      const byRun = CostLedger.byRun(held)
      assert.strictEqual(byRun.get("long")?.calls, 60, "the active run is kept whole")
      for (const [run, totals] of byRun) if (run !== "long") assert.strictEqual(totals.calls, 7, `${run} is complete`)
      assert.isTrue(byRun.has("short-59"), "the latest run is kept")
      assert.isFalse(byRun.has("short-0"), "the oldest are dropped")
    }))

  it.effect("clear empties it; without a bound given, it keeps 100,000 entries", () =>
    Effect.gen(function* () {
      const ledger = yield* CostLedger.make
      for (let i = 0; i < 100_001; i++) yield* ledger.record(entry(`r${i % 1000}`))
      const held = (yield* ledger.entries).length
      assert.isAtMost(held, 100_000)
      assert.isAtLeast(held, 89_000, "down to about 90% of it, whole runs at a time")
      yield* ledger.clear
      assert.strictEqual((yield* ledger.entries).length, 0)
    }))

  it.effect("calls outside any run (a long-lived service's) and a run larger than the bound are a rolling window: the ledger stays bounded", () =>
    Effect.gen(function* () {
      const ledger = yield* CostLedger.makeWith({ maxEntries: 100 })
      for (let i = 0; i < 1_000; i++) yield* ledger.record({ ...entry(undefined), timestamp: i })
      const outside = yield* ledger.entries
      assert.isAtMost(outside.length, 100)
      assert.isAtLeast(outside.length, 90)
      assert.strictEqual(outside.at(-1)!.timestamp, 999, "the latest calls are kept")
      assert.deepStrictEqual(outside.map((e) => e.timestamp), outside.map((_, i) => 1_000 - outside.length + i), "the oldest are dropped, in order")

      // One run past the bound, after others: they go whole first, then its oldest entries.
      yield* ledger.record(entry("small"))
      for (let i = 0; i < 500; i++) yield* ledger.record({ ...entry("huge"), timestamp: i })
      const held = yield* ledger.entries
      assert.isAtMost(held.length, 100)
      assert.deepStrictEqual([...CostLedger.byRun(held).keys()], ["huge"])
      assert.strictEqual(held.at(-1)!.timestamp, 499)
    }))
})
