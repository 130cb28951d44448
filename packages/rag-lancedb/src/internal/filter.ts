/**
 * Metadata filters → LanceDB SQL. Columns (`source`, `heading`, `chunkIndex`, `id`) compare exactly;
 * any other key is looked up in the JSON `metadata` column with a regular expression on its
 * serialised form, which can over-match (the same key nested deeper), so `matches` re-checks rows.
 */
import type * as Json from "@aixfx/core/Json"

export type FilterScalar = string | number | boolean | null
/** Key → required value; an array means any of its values. */
export type Filter = { readonly [key: string]: FilterScalar | ReadonlyArray<FilterScalar> }

export const COLUMNS: Readonly<Record<string, string>> = { id: "id", source: "source", heading: "heading", chunkIndex: "chunk_index" }

export const sqlString = (value: string): string => `'${value.replace(/'/g, "''")}'`

const sqlLiteral = (value: FilterScalar): string =>
  value === null ? "NULL" : typeof value === "string" ? sqlString(value) : typeof value === "boolean" ? String(value).toUpperCase() : String(value)

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const anyOf = (value: FilterScalar | ReadonlyArray<FilterScalar>): ReadonlyArray<FilterScalar> =>
  Array.isArray(value) ? (value as ReadonlyArray<FilterScalar>) : [value as FilterScalar]

const condition = (key: string, value: FilterScalar | ReadonlyArray<FilterScalar>): string => {
  const column = COLUMNS[key]
  const values = anyOf(value)
  if (column !== undefined) {
    return values.length === 1 && values[0] === null ? `${column} IS NULL` : `${column} IN (${values.map(sqlLiteral).join(", ")})`
  }
  const pattern = values.map((v) => `${escapeRegExp(JSON.stringify(key))}:${escapeRegExp(JSON.stringify(v))}[,}]`).join("|")
  return `regexp_like(metadata, ${sqlString(pattern)})`
}

/** The SQL `where` for a filter plus an optional raw expression, or undefined when there is none. */
export const toSql = (filter: Filter | undefined, where: string | undefined): string | undefined => {
  const parts = [...Object.entries(filter ?? {}).map(([key, value]) => condition(key, value)), ...(where === undefined ? [] : [`(${where})`])]
  return parts.length === 0 ? undefined : parts.join(" AND ")
}

/** Exact check of the metadata keys of a filter against a row's parsed metadata. */
export const matches = (filter: Filter | undefined, metadata: Json.JsonObject): boolean =>
  Object.entries(filter ?? {}).every(
    ([key, value]) => COLUMNS[key] !== undefined || anyOf(value).some((v) => (metadata[key] ?? null) === v)
  )
