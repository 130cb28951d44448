/**
 * The Postgres these tests run against: AIXFX_CLUSTER_PG_URL (`.ci/run` starts a throwaway server
 * with packages/cluster/scripts/postgres.sh and sets it). Each test file gets a database of its
 * own, so runners left by one file never hold shards of another.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"

const url = process.env["AIXFX_CLUSTER_PG_URL"]

const missing =
  "AIXFX_CLUSTER_PG_URL is not set: the cluster tests need Postgres. Start one with " +
  "`packages/cluster/scripts/postgres.sh start` and export the URL it prints (.ci/run does this)."

/** The server's URL; in CI a missing one fails the run, locally it skips with this one message. */
export const serverUrl = (): string | undefined => {
  if (url !== undefined && url !== "") return url
  if (process.env["CI"] === "true") throw new Error(missing)
  console.warn(`[cluster tests skipped] ${missing}`)
  return undefined
}

const withDatabase = (base: string, database: string): string => {
  const u = new URL(base)
  u.pathname = `/${database}`
  return u.toString()
}

/** Creates a fresh database named `name_<random>` on the server; returns its URL. */
export const freshDatabase = (base: string, name: string): Promise<string> => {
  const database = `${name}_${Math.random().toString(36).slice(2, 10)}`
  return Effect.gen(function* () {
    const sql = yield* PgClient.PgClient
    yield* sql.unsafe(`CREATE DATABASE ${database}`)
  }).pipe(Effect.provide(pgLayer(base)), Effect.runPromise).then(() => withDatabase(base, database))
}

export const pgLayer = (databaseUrl: string) =>
  PgClient.layer({ url: Redacted.make(databaseUrl), maxConnections: 20, applicationName: "aixfx-cluster-test" }).pipe(Layer.orDie)
