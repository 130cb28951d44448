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
