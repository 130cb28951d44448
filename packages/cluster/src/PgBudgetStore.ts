/**
 * The budget store of a cluster: one set of budgets for every runner, in Postgres. A reservation
 * is one conditional UPDATE (`settled + reserved + amount <= cap`) on the budget's row: Postgres
 * serialises the updates of one row and re-checks the condition on the row each one sees, so
 * runners reserving at the same time can never hold more than the cap together, not even by one
 * call. Settling deletes the reservation and moves its key's amount from reserved to settled in one
 * transaction, so a second settle of the same reservation finds nothing and does nothing.
 *
 * While Postgres is unreachable, each operation retries (capped backoff) for `retryFor`, then
 * dies with a message naming the budget: a budget that cannot be checked must not let calls pass.
 * A runner killed between reserve and settle leaves its reservation held (counted against the
 * cap): the store errs on the side of the cap.
 */
import { SqlClient } from "@effect/sql"
import { BudgetExceeded, BudgetStore } from "@aixfx/core"
import { Duration, Effect, Layer, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { migrate } from "./internal/migrations.js"

export interface Options {
  /** How long an operation keeps retrying while the database is unreachable (default 2 minutes). */
  readonly retryFor?: Duration.DurationInput
}

const tables = [
  `CREATE TABLE IF NOT EXISTS aixfx_budgets (
     key text PRIMARY KEY,
     settled numeric NOT NULL DEFAULT 0,
     reserved numeric NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS aixfx_budget_reservations (
     id text PRIMARY KEY,
     key text NOT NULL REFERENCES aixfx_budgets (key),
     amount numeric NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now())`
]

export const make = (options: Options = {}): Effect.Effect<BudgetStore.Service, never, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const retryFor = Duration.decode(options.retryFor ?? "2 minutes")
    yield* migrate(sql, tables)

    const persistently = (what: string) => <A, E>(effect: Effect.Effect<A, E>) =>
      effect.pipe(
        Effect.retry({
          while: (error) => (error as { readonly _tag?: string })._tag === "SqlError",
          schedule: Schedule.exponential("50 millis").pipe(Schedule.either(Schedule.spaced("2 seconds")), Schedule.upTo(retryFor))
        }),
        Effect.catchIf(
          (error) => (error as { readonly _tag?: string })._tag === "SqlError",
          (error) => Effect.dieMessage(`Budget store: ${what} failed for ${Duration.format(retryFor)} (Postgres unreachable?): ${String(error)}`)
        )
      ) as Effect.Effect<A, Exclude<E, { readonly _tag: "SqlError" }>>

    const committedIn = (key: string) =>
      Effect.map(
        sql<{ readonly committed: string }>`SELECT settled + reserved AS committed FROM aixfx_budgets WHERE key = ${key}`,
        (rows) => (rows.length === 0 ? 0 : Number(rows[0]!.committed))
      )

    const reserve = (key: string, cap: number, amount: number) =>
      Effect.gen(function* () {
        yield* sql`INSERT INTO aixfx_budgets (key) VALUES (${key}) ON CONFLICT (key) DO NOTHING`
        const id = randomUUID()
        const held = yield* sql.withTransaction(
          Effect.gen(function* () {
            const updated = yield* sql`UPDATE aixfx_budgets SET reserved = reserved + ${amount}
              WHERE key = ${key} AND settled + reserved + ${amount} <= ${cap} RETURNING key`
            if (updated.length === 0) return false
            yield* sql`INSERT INTO aixfx_budget_reservations (id, key, amount) VALUES (${id}, ${key}, ${amount})`
            return true
          })
        )
        if (held) return { key, id, amount } satisfies BudgetStore.Reservation
        const committed = yield* committedIn(key)
        return yield* Effect.fail(
          new BudgetExceeded({
            scope: key,
            unit: "usd",
            limit: cap,
            spent: committed,
            estimate: amount,
            message: `Budget "${key}" of ${cap} would be exceeded: ${committed} committed across the cluster, ${amount} asked`
          })
        )
      }).pipe(persistently(`reserving ${amount} under "${key}"`), Effect.withSpan("PgBudgetStore.reserve", { attributes: { key, cap, amount } }))

    const settle = (reservation: BudgetStore.Reservation, actual: number) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const removed = yield* sql<{ readonly amount: string }>`DELETE FROM aixfx_budget_reservations WHERE id = ${reservation.id} RETURNING amount`
            if (removed.length === 0) return
            yield* sql`UPDATE aixfx_budgets SET reserved = reserved - ${removed[0]!.amount}::numeric, settled = settled + ${actual}
              WHERE key = ${reservation.key}`
          })
        )
        .pipe(persistently(`settling reservation ${reservation.id} of "${reservation.key}"`), Effect.withSpan("PgBudgetStore.settle"))

    return {
      reserve,
      settle,
      committed: (key) => committedIn(key).pipe(persistently(`reading budget "${key}"`))
    } satisfies BudgetStore.Service
  })

/** The cluster's budget store on the `SqlClient` in context (Postgres). */
/** Core's `BudgetStore` on Postgres: `withBudget` reserves and settles in it, cluster-wide. */
export const layer = (options: Options = {}): Layer.Layer<BudgetStore.BudgetStore, never, SqlClient.SqlClient> =>
  Layer.effect(BudgetStore.BudgetStore, make(options))
