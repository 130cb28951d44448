/**
 * Creates aixfx's own tables beside the cluster's. Several runners start at once, and concurrent
 * `CREATE TABLE IF NOT EXISTS` can collide in Postgres's catalog, so the statements run in one
 * transaction under a transaction-level advisory lock.
 */
import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export const migrate = (sql: SqlClient.SqlClient, statements: ReadonlyArray<string>): Effect.Effect<void> =>
  sql
    .withTransaction(
      Effect.gen(function* () {
        yield* sql.unsafe(`SELECT pg_advisory_xact_lock(hashtext('aixfx-migrations'))`)
        for (const statement of statements) yield* sql.unsafe(statement)
      })
    )
    .pipe(Effect.orDie)

/**
 * Runs `effect` (a runner's start: the cluster creates its own tables then) while holding a
 * session advisory lock on a connection of its own, so runners starting together create the
 * tables one after the other; `CREATE TABLE IF NOT EXISTS` run concurrently can fail on Postgres's
 * catalog ("duplicate key value violates unique constraint pg_type_typname_nsp_index").
 */
export const oneAtATime = <A, E, R>(sql: SqlClient.SqlClient, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.scoped(
    Effect.gen(function* () {
      const connection = yield* Effect.orDie(sql.reserve)
      const lock = (fn: string) => Effect.orDie(connection.executeRaw(`SELECT ${fn}(hashtext('aixfx-cluster-start'))`, []))
      yield* Effect.acquireRelease(lock("pg_advisory_lock"), () => lock("pg_advisory_unlock"))
      return yield* effect
    })
  )
