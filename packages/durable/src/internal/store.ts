/**
 * The durable tables beside the engine's own (cluster_*): runs, their journaled steps and their
 * approvals. Plain SQL through the generic `SqlClient`, so the same store works on SQLite and Postgres.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"

export type RunStatus = "running" | "suspended" | "done" | "failed" | "cancelled"

export interface RunRow {
  readonly runId: string
  readonly workflow: string
  readonly status: RunStatus
  /** What a suspended run waits for (approval names, `sleep:<name>`), comma-separated. */
  readonly awaiting: string | null
  readonly error: string | null
  readonly createdAt: number
  readonly updatedAt: number
}

export interface StepRow {
  readonly key: string
  readonly seq: number
  readonly inputHash: string
  readonly outcome: string
  readonly recordedAt: number
}

export type ApprovalStatus = "pending" | "approved" | "rejected"

export interface ApprovalRow {
  readonly runId: string
  readonly name: string
  readonly payload: string
  readonly status: ApprovalStatus
  /** The approved payload (JSON) when a person edited it. */
  readonly decidedPayload: string | null
  readonly reason: string | null
  readonly requestedAt: number
  readonly decidedAt: number | null
}

const migrations = [
  `CREATE TABLE IF NOT EXISTS aixfx_runs (
    run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, status TEXT NOT NULL, awaiting TEXT, error TEXT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS aixfx_steps (
    run_id TEXT NOT NULL, step_key TEXT NOT NULL, seq INTEGER NOT NULL, input_hash TEXT NOT NULL,
    outcome TEXT NOT NULL, recorded_at BIGINT NOT NULL, PRIMARY KEY (run_id, step_key))`,
  `CREATE TABLE IF NOT EXISTS aixfx_approvals (
    run_id TEXT NOT NULL, name TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
    decided_payload TEXT, reason TEXT, requested_at BIGINT NOT NULL, decided_at BIGINT,
    PRIMARY KEY (run_id, name))`
]

export interface Store {
  readonly getRun: (runId: string) => Effect.Effect<RunRow | undefined, SqlError>
  readonly listRuns: Effect.Effect<ReadonlyArray<RunRow>, SqlError>
  /** Adds the run unless it is there; returns the row as stored. */
  readonly ensureRun: (runId: string, workflow: string, now: number) => Effect.Effect<RunRow, SqlError>
  readonly setStatus: (runId: string, status: RunStatus, now: number, detail?: { awaiting?: string | null; error?: string | null }) => Effect.Effect<void, SqlError>
  readonly steps: (runId: string) => Effect.Effect<ReadonlyArray<StepRow>, SqlError>
  readonly recordStep: (runId: string, step: StepRow) => Effect.Effect<void, SqlError>
  readonly approvals: (runId: string) => Effect.Effect<ReadonlyArray<ApprovalRow>, SqlError>
  readonly getApproval: (runId: string, name: string) => Effect.Effect<ApprovalRow | undefined, SqlError>
  /** Records that the run asks for `name` (once: a replay asking again changes nothing). */
  readonly requestApproval: (runId: string, name: string, payload: string, now: number) => Effect.Effect<void, SqlError>
  /** Decides a pending approval; false when it was not pending (someone decided first). */
  readonly decide: (
    runId: string,
    name: string,
    decision: { readonly status: "approved" | "rejected"; readonly payload: string | null; readonly reason: string | null },
    now: number
  ) => Effect.Effect<boolean, SqlError>
}

const runRow = (r: any): RunRow => ({
  runId: r.run_id,
  workflow: r.workflow,
  status: r.status,
  awaiting: r.awaiting ?? null,
  error: r.error ?? null,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at)
})

const approvalRow = (r: any): ApprovalRow => ({
  runId: r.run_id,
  name: r.name,
  payload: r.payload,
  status: r.status,
  decidedPayload: r.decided_payload ?? null,
  reason: r.reason ?? null,
  requestedAt: Number(r.requested_at),
  decidedAt: r.decided_at === null || r.decided_at === undefined ? null : Number(r.decided_at)
})

export const make: Effect.Effect<Store, SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const statement of migrations) yield* sql.unsafe(statement)

  const getRun = (runId: string) =>
    Effect.map(sql`SELECT * FROM aixfx_runs WHERE run_id = ${runId}`, (rows) => (rows.length === 0 ? undefined : runRow(rows[0])))

  return {
    getRun,
    listRuns: Effect.map(sql`SELECT * FROM aixfx_runs ORDER BY created_at, run_id`, (rows) => rows.map(runRow)),
    ensureRun: (runId, workflow, now) =>
      sql`INSERT INTO aixfx_runs ${sql.insert({ run_id: runId, workflow, status: "running", created_at: now, updated_at: now })} ON CONFLICT (run_id) DO NOTHING`.pipe(
        Effect.zipRight(getRun(runId)),
        Effect.map((row) => row!)
      ),
    setStatus: (runId, status, now, detail = {}) =>
      sql`UPDATE aixfx_runs SET status = ${status}, awaiting = ${detail.awaiting ?? null}, error = ${detail.error ?? null}, updated_at = ${now} WHERE run_id = ${runId}`.pipe(
        Effect.asVoid
      ),
    steps: (runId) =>
      Effect.map(sql`SELECT step_key, seq, input_hash, outcome, recorded_at FROM aixfx_steps WHERE run_id = ${runId} ORDER BY seq`, (rows) =>
        rows.map((r: any): StepRow => ({ key: r.step_key, seq: Number(r.seq), inputHash: r.input_hash, outcome: r.outcome, recordedAt: Number(r.recorded_at) }))),
    recordStep: (runId, step) =>
      sql`INSERT INTO aixfx_steps ${
        sql.insert({ run_id: runId, step_key: step.key, seq: step.seq, input_hash: step.inputHash, outcome: step.outcome, recorded_at: step.recordedAt })
      } ON CONFLICT (run_id, step_key) DO NOTHING`.pipe(Effect.asVoid),
    approvals: (runId) =>
      Effect.map(sql`SELECT * FROM aixfx_approvals WHERE run_id = ${runId} ORDER BY requested_at, name`, (rows) => rows.map(approvalRow)),
    getApproval: (runId, name) =>
      Effect.map(sql`SELECT * FROM aixfx_approvals WHERE run_id = ${runId} AND name = ${name}`, (rows) =>
        rows.length === 0 ? undefined : approvalRow(rows[0])),
    requestApproval: (runId, name, payload, now) =>
      sql`INSERT INTO aixfx_approvals ${
        sql.insert({ run_id: runId, name, payload, status: "pending", requested_at: now })
      } ON CONFLICT (run_id, name) DO NOTHING`.pipe(Effect.asVoid),
    decide: (runId, name, decision, now) =>
      sql`UPDATE aixfx_approvals SET status = ${decision.status}, decided_payload = ${decision.payload}, reason = ${decision.reason}, decided_at = ${now}
        WHERE run_id = ${runId} AND name = ${name} AND status = 'pending' RETURNING name`.pipe(Effect.map((rows) => rows.length === 1))
  }
})
