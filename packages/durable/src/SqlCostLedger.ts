/**
 * The cost ledger kept in the run store: every model call's entry is written as it is recorded, so
 * a run that crashed and resumed still shows every call it paid for, each once. Written against the
 * generic `SqlClient` (SQLite here; Postgres works the same).
 */
import { CostLedger, Usage } from "@aixfx/core"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer } from "effect"

const migration = `CREATE TABLE IF NOT EXISTS aixfx_ledger (
  run_id TEXT, workflow TEXT, agent TEXT, pattern_path TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
  usage TEXT NOT NULL,
  cost_usd DOUBLE PRECISION, duration_ms DOUBLE PRECISION NOT NULL, recorded_at BIGINT NOT NULL, error TEXT,
  prices_as_of TEXT)`

/** A table made before `prices_as_of` existed gets the column (SQLite has no ADD COLUMN IF NOT EXISTS). */
const addPricesAsOf = (sql: SqlClient.SqlClient) =>
  Effect.ignore(Effect.catchAll(sql.unsafe("SELECT prices_as_of FROM aixfx_ledger LIMIT 0"), () => sql.unsafe("ALTER TABLE aixfx_ledger ADD COLUMN prices_as_of TEXT")))

const entryOf = (r: any): CostLedger.Entry => ({
  runId: r.run_id ?? undefined,
  workflow: r.workflow ?? undefined,
  agent: r.agent ?? undefined,
  patternPath: JSON.parse(r.pattern_path) as Array<string>,
  provider: r.provider,
  model: r.model,
  usage: Usage.make(JSON.parse(r.usage)),
  costUsd: r.cost_usd === null || r.cost_usd === undefined ? null : Number(r.cost_usd),
  ...(r.prices_as_of === null || r.prices_as_of === undefined ? {} : { pricesAsOf: r.prices_as_of as string }),
  durationMs: Number(r.duration_ms),
  timestamp: Number(r.recorded_at),
  ...(r.error === null || r.error === undefined ? {} : { error: r.error as string })
})

export interface Service extends CostLedger.Service {
  /** The entries of one run, in the order they were recorded. */
  readonly entriesOf: (runId: string) => Effect.Effect<ReadonlyArray<CostLedger.Entry>>
}

/** A ledger over the `SqlClient` in context (its table is created if missing). */
export const make: Effect.Effect<Service, SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(migration)
  yield* addPricesAsOf(sql)
  // A ledger that cannot write loses money figures, not the run: a store failure is a defect.
  const select = (rows: Effect.Effect<ReadonlyArray<any>, SqlError>) => Effect.orDie(Effect.map(rows, (all) => all.map(entryOf)))
  return {
    record: (entry) =>
      sql`INSERT INTO aixfx_ledger ${
        sql.insert({
          run_id: entry.runId ?? null,
          workflow: entry.workflow ?? null,
          agent: entry.agent ?? null,
          pattern_path: JSON.stringify(entry.patternPath),
          provider: entry.provider,
          model: entry.model,
          usage: JSON.stringify(entry.usage),
          cost_usd: entry.costUsd,
          prices_as_of: entry.pricesAsOf ?? null,
          duration_ms: entry.durationMs,
          recorded_at: entry.timestamp,
          error: entry.error ?? null
        })
      }`.pipe(Effect.asVoid, Effect.orDie),
    entries: select(sql`SELECT * FROM aixfx_ledger ORDER BY recorded_at`),
    entriesOf: (runId) => select(sql`SELECT * FROM aixfx_ledger WHERE run_id = ${runId} ORDER BY recorded_at`),
    clear: Effect.orDie(Effect.asVoid(sql`DELETE FROM aixfx_ledger`))
  }
})

/** Provides core's `CostLedger` backed by the store. */
export const layer: Layer.Layer<CostLedger.CostLedger, SqlError, SqlClient.SqlClient> = Layer.effect(CostLedger.CostLedger, make)
