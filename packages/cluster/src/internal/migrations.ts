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
