/**
 * OTLP trace export requests (the JSON mapping of ExportTraceServiceRequest) into SpanRecords.
 * The protobuf path converts its message into the same shape first, so there is one decoder.
 * A request is taken whole or not at all: any malformed span rejects it, so a bad request can
 * never leave half its spans in the model.
 */
import type { AttributeValue, Attributes, SpanEvent, SpanRecord, SpanStatus } from "./Span.js"

export class OtlpDecodeError extends Error {
  override readonly name = "OtlpDecodeError"
}

type Json = { readonly [key: string]: unknown }

const SPAN_KINDS = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"]
const STATUS_CODES: ReadonlyArray<SpanStatus> = ["unset", "ok", "error"]
const STATUS_NAMES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]

export const decodeTraceRequest = (body: unknown): ReadonlyArray<SpanRecord> => {
  const request = object(body, "request")
  const spans: Array<SpanRecord> = []
  for (const resourceSpans of list(request["resourceSpans"], "resourceSpans")) {
    const rs = object(resourceSpans, "resourceSpans[]")
    const resource = rs["resource"] === undefined ? {} : attributes(object(rs["resource"], "resource")["attributes"])
    // scopeSpans replaced instrumentationLibrarySpans; old exporters still send the latter.
    const scopes = rs["scopeSpans"] ?? rs["instrumentationLibrarySpans"]
    for (const scopeSpans of list(scopes, "scopeSpans")) {
      const ss = object(scopeSpans, "scopeSpans[]")
      const scopeObject = ss["scope"] ?? ss["instrumentationLibrary"]
      const scope = scopeObject === undefined ? undefined : optionalString(object(scopeObject, "scope")["name"], "scope.name")
      for (const span of list(ss["spans"], "spans")) spans.push(decodeSpan(object(span, "span"), resource, scope))
    }
  }
  return spans
}

const decodeSpan = (span: Json, resource: Attributes, scope: string | undefined): SpanRecord => {
  const traceId = id(span["traceId"], 16, "traceId")
  const spanId = id(span["spanId"], 8, "spanId")
  const parent = span["parentSpanId"]
  const parentSpanId = parent === undefined || parent === null || parent === "" ? undefined : id(parent, 8, "parentSpanId")
  const name = optionalString(span["name"], "name") ?? ""
  const startMs = nanosToMs(span["startTimeUnixNano"], "startTimeUnixNano")
  const end = span["endTimeUnixNano"]
  // An end of zero (or none) means the span has not ended yet: it is open.
  const open = end === undefined || end === null || end === "0" || end === 0
  const endMs = open ? startMs : nanosToMs(end, "endTimeUnixNano")
  const status = span["status"] === undefined ? {} : object(span["status"], "status")
  const statusMessage = optionalString(status["message"], "status.message")
  return {
    traceId,
    spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name,
    kind: enumValue(span["kind"], SPAN_KINDS, "kind"),
    startMs,
    endMs,
    ...(open ? { open: true as const } : {}),
    status: STATUS_CODES[enumValue(status["code"], STATUS_NAMES, "status.code")] ?? "unset",
    ...(statusMessage === undefined || statusMessage === "" ? {} : { statusMessage }),
    attributes: attributes(span["attributes"]),
    events: list(span["events"], "events").map((event) => decodeEvent(object(event, "event"))),
    resource,
    ...(scope === undefined || scope === "" ? {} : { scope })
  }
}

const decodeEvent = (event: Json): SpanEvent => ({
  name: optionalString(event["name"], "event.name") ?? "",
  timeMs: nanosToMs(event["timeUnixNano"] ?? "0", "event.timeUnixNano"),
  attributes: attributes(event["attributes"])
})

const attributes = (value: unknown): Attributes => {
  const result: Record<string, AttributeValue> = {}
  for (const entry of list(value, "attributes")) {
    const kv = object(entry, "attribute")
    const key = kv["key"]
    if (typeof key !== "string") throw new OtlpDecodeError("attribute key must be a string")
    result[key] = anyValue(kv["value"])
  }
  return result
}

const anyValue = (value: unknown): AttributeValue => {
  if (value === undefined || value === null) return null
  const v = object(value, "AnyValue")
  if ("stringValue" in v) return capped(stringOf(v["stringValue"], "stringValue"))
  if ("boolValue" in v) {
    if (typeof v["boolValue"] !== "boolean") throw new OtlpDecodeError("boolValue must be a boolean")
    return v["boolValue"]
  }
  if ("intValue" in v) return intValue(v["intValue"])
  if ("doubleValue" in v) {
    const d = v["doubleValue"]
    // The JSON mapping writes NaN and the infinities as strings.
    if (typeof d === "number") return d
    if (typeof d === "string" && d.trim() !== "" && !Number.isNaN(Number(d))) return Number(d)
    if (d === "NaN" || d === "Infinity" || d === "-Infinity") return d
    throw new OtlpDecodeError("doubleValue must be a number")
  }
  if ("arrayValue" in v) {
    const array = v["arrayValue"] === null ? {} : object(v["arrayValue"], "arrayValue")
    return list(array["values"], "arrayValue.values").map(anyValue)
  }
  if ("kvlistValue" in v) {
    const kvlist = v["kvlistValue"] === null ? {} : object(v["kvlistValue"], "kvlistValue")
    return attributes(kvlist["values"])
  }
  if ("bytesValue" in v) return capped(stringOf(v["bytesValue"], "bytesValue"))
  return null
}

/** The longest attribute string kept (in memory, in workspace state, in exports); longer ones are cut, with a marker. */
export const MAX_ATTRIBUTE_CHARS = 32_768

export const TRUNCATION_MARKER = "…[aixfx: truncated]"

const capped = (text: string): string =>
  text.length <= MAX_ATTRIBUTE_CHARS ? text : `${text.slice(0, MAX_ATTRIBUTE_CHARS)}${TRUNCATION_MARKER} (${text.length.toLocaleString("en-US")} characters in all)`

/** int64 arrives as a decimal string; keep it a string when it does not fit a double exactly. */
const intValue = (value: unknown): number | string => {
  if (typeof value === "number" && Number.isInteger(value)) return value
  if (typeof value === "string" && /^-?\d+$/.test(value)) {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : value
  }
  throw new OtlpDecodeError("intValue must be an integer")
}

const nanosToMs = (value: unknown, field: string): number => {
  if (typeof value === "string" && /^\d+$/.test(value)) {
    const nanos = BigInt(value)
    return Number(nanos / 1000n) / 1000
  }
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value / 1e6
  throw new OtlpDecodeError(`${field} must be unsigned nanoseconds`)
}

/** Hex per the OTLP JSON mapping; base64 as protobuf-to-JSON converters (and old exporters) write it. */
const id = (value: unknown, bytes: number, field: string): string => {
  if (typeof value !== "string") throw new OtlpDecodeError(`${field} must be a string`)
  let hex: string
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) hex = value.toLowerCase()
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, "base64").length === bytes) {
    hex = Buffer.from(value, "base64").toString("hex")
  } else throw new OtlpDecodeError(`${field} must be ${bytes} bytes of hex`)
  if (/^0+$/.test(hex)) throw new OtlpDecodeError(`${field} must not be all zeros`)
  return hex
}

const enumValue = (value: unknown, names: ReadonlyArray<string>, field: string): number => {
  if (value === undefined || value === null) return 0
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value < names.length) return value
  if (typeof value === "string" && names.includes(value)) return names.indexOf(value)
  throw new OtlpDecodeError(`${field} is not a known value`)
}

const object = (value: unknown, field: string): Json => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new OtlpDecodeError(`${field} must be an object`)
  return value as Json
}

const list = (value: unknown, field: string): ReadonlyArray<unknown> => {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${field} must be an array`)
  return value
}

const stringOf = (value: unknown, field: string): string => {
  if (typeof value !== "string") throw new OtlpDecodeError(`${field} must be a string`)
  return value
}

const optionalString = (value: unknown, field: string): string | undefined =>
  value === undefined || value === null ? undefined : stringOf(value, field)
