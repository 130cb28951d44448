/**
 * JSON-safe values: what may travel in `Message.metadata`, over gRPC (`google.protobuf.Struct`)
 * and into span attributes.
 */
import { Schema } from "effect"

export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | { readonly [key: string]: JsonValue }
export type JsonObject = { readonly [key: string]: JsonValue }

export const JsonValue: Schema.Schema<JsonValue> = Schema.Union(
  Schema.Null,
  Schema.Boolean,
  Schema.Number.pipe(Schema.finite()),
  Schema.String,
  Schema.Array(Schema.suspend(() => JsonValue)),
  Schema.Record({ key: Schema.String, value: Schema.suspend(() => JsonValue) })
).annotations({ identifier: "JsonValue" })

export const JsonObject: Schema.Schema<JsonObject> = Schema.Record({ key: Schema.String, value: JsonValue })

/** Turns any value into a JSON-safe one (drops undefined, functions; Dates become ISO strings). */
export const toJson = (value: unknown): JsonValue => {
  const text = JSON.stringify(value)
  return text === undefined ? null : (JSON.parse(text) as JsonValue)
}

/**
 * The path of the first value in `value` that is not JSON-safe (a non-finite number, undefined, a
 * function, a class instance…), or undefined when it is all JSON. A plain loop: the same answer as
 * decoding with `JsonValue`, at a fraction of the cost, for the hot path of building messages.
 */
export const firstNonJsonPath = (value: unknown, path = "$"): string | undefined => {
  const bad = nonJsonSuffix(value)
  return bad === undefined ? undefined : path + bad
}

/** The path below `value` of its first non-JSON value ("" for itself); built only when one is found. */
const nonJsonSuffix = (value: unknown): string | undefined => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined
  if (typeof value === "number") return Number.isFinite(value) ? undefined : ""
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = nonJsonSuffix(value[i])
      if (bad !== undefined) return `.${i}${bad}`
    }
    return undefined
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const key in value) {
      const bad = nonJsonSuffix((value as Record<string, unknown>)[key])
      if (bad !== undefined) return `.${key}${bad}`
    }
    return undefined
  }
  return ""
}
