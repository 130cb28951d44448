/**
 * The trace model's unit: one finished (or still open) span, decoded from OTLP into plain JSON-safe
 * data so it can be persisted in workspaceState and sent to a webview as is.
 */

export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | ReadonlyArray<AttributeValue>
  | { readonly [key: string]: AttributeValue }

export type Attributes = { readonly [key: string]: AttributeValue }

export type SpanStatus = "unset" | "ok" | "error"

export interface SpanEvent {
  readonly name: string
  readonly timeMs: number
  readonly attributes: Attributes
}

export interface SpanRecord {
  /** Lower-case hex, 32 characters. */
  readonly traceId: string
  /** Lower-case hex, 16 characters. */
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  /** OTLP SpanKind number (0 unspecified … 5 consumer). */
  readonly kind: number
  /** Unix epoch milliseconds with sub-millisecond fraction. */
  readonly startMs: number
  /** Equals `startMs` while the span is open. */
  readonly endMs: number
  /** Started but not ended yet (a span-start notice, or an export with no end time). */
  readonly open?: true
  readonly status: SpanStatus
  readonly statusMessage?: string
  readonly attributes: Attributes
  readonly events: ReadonlyArray<SpanEvent>
  readonly resource: Attributes
  readonly scope?: string
}

export const spanKey = (span: Pick<SpanRecord, "traceId" | "spanId">): string => `${span.traceId}/${span.spanId}`

/** An open span's duration runs until `now`. */
export const durationMs = (span: SpanRecord, now?: number): number => Math.max(0, (span.open === true && now !== undefined ? now : span.endMs) - span.startMs)

export const stringAttribute = (attributes: Attributes, key: string): string | undefined => {
  const value = attributes[key]
  return typeof value === "string" ? value : undefined
}

/** Numbers may arrive as strings (OTLP JSON encodes int64 as a string). */
export const numberAttribute = (attributes: Attributes, key: string): number | undefined => {
  const value = attributes[key]
  if (typeof value === "number" && Number.isFinite(value)) return value
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value)
    return Number.isFinite(parsed) ? parsed : undefined
  }
  return undefined
}
