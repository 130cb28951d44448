/**
 * The store-backed ledger keeps every field of an entry, the date of the prices included, and a
 * ledger table made before that column existed is given it.
 */
import { CostLedger, RunReport, Usage } from "@aixfx/core"
import { SqlCostLedger } from "@aixfx/durable"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const entry: CostLedger.Entry = {
  runId: "run-1",
  workflow: "flow",
  agent: "writer",
  patternPath: ["review"],
  provider: "anthropic",
  model: "claude-sonnet-4-5",
  usage: Usage.make({ inputTokens: 1000, outputTokens: 200, cacheWriteTokens: 50, cacheWrite1hTokens: 20 }),
  costUsd: 0.0061,
  pricesAsOf: "2026-09-23",
  durationMs: 812,
  timestamp: 1_790_000_000_000
}

/** A SQLite file of its own, removed after. */
const inTempStore = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "aixfx-ledger-"))),
    (dir) => Effect.provide(effect, SqliteClient.layer({ filename: join(dir, "store.db") })),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

describe("SqlCostLedger", () => {
  it.effect("an entry comes back whole, with the date of its prices", () =>
    inTempStore(Effect.gen(function* () {
      const ledger = yield* SqlCostLedger.make
      yield* ledger.record(entry)
      const { pricesAsOf: _, ...unpricedEntry } = entry
      yield* ledger.record({ ...unpricedEntry, costUsd: null })
      const [priced, unpriced] = yield* ledger.entriesOf("run-1")
      assert.deepStrictEqual(priced, entry)
      assert.isFalse("pricesAsOf" in unpriced!)
      assert.deepStrictEqual(RunReport.fromLedger(yield* ledger.entries)[0]!.totals.pricesAsOf, ["2026-09-23"])
    })))

  it.effect("a ledger table made before prices_as_of existed is given the column", () =>
    inTempStore(Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`CREATE TABLE aixfx_ledger (
        run_id TEXT, workflow TEXT, agent TEXT, pattern_path TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
        usage TEXT NOT NULL, cost_usd DOUBLE PRECISION, duration_ms DOUBLE PRECISION NOT NULL, recorded_at BIGINT NOT NULL, error TEXT)`)
      yield* sql.unsafe(`INSERT INTO aixfx_ledger VALUES ('run-0', NULL, 'old', '[]', 'local', 'heuristic', '{"inputTokens":1,"outputTokens":1,"cachedInputTokens":0,"cacheWriteTokens":0,"reasoningTokens":0}', 0, 1, 1, NULL)`)
      const ledger = yield* SqlCostLedger.make
      yield* ledger.record(entry)
      const all = yield* ledger.entries
      assert.deepStrictEqual(all.map((e) => [e.agent, e.pricesAsOf]), [["old", undefined], ["writer", "2026-09-23"]])
      // Made again (another process starting on the same store): nothing changes.
      yield* SqlCostLedger.make
      assert.strictEqual((yield* ledger.entries).length, 2)
    })))
})
