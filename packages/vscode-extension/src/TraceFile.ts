/**
 * The saved-trace format: an OTLP JSON ExportTraceServiceRequest with one extra top-level `aixfx`
 * field describing the run. Any OTLP JSON reader can open an exported trace, and Import Trace
 * reads either an exported trace or a plain OTLP JSON file.
 */
import { decodeTraceRequest } from "./OtlpDecode.js"
import type { Run } from "./RunStore.js"
import type { AttributeValue, Attributes, SpanRecord } from "./Span.js"

const TRACE_FILE_VERSION = 1

export interface TraceFileRun {
  readonly label: string
  readonly status: Run["status"]
  readonly startedMs: number
  readonly endedMs?: number
  readonly exitCode?: number
  readonly workflowPath?: string
}

export const encodeTraceFile = (run: Run, spans: ReadonlyArray<SpanRecord>) => {
  const groups = new Map<string, { resource: Attributes; scope: string | undefined; spans: Array<SpanRecord> }>()
  for (const span of spans) {
    const key = JSON.stringify([span.resource, span.scope ?? null])
    const group = groups.get(key) ?? { resource: span.resource, scope: span.scope, spans: [] }
    group.spans.push(span)
    groups.set(key, group)
  }
  const meta: TraceFileRun = {
    label: run.label,
    status: run.status,
    startedMs: run.startedMs,
    ...(run.endedMs === undefined ? {} : { endedMs: run.endedMs }),
    ...(run.exitCode === undefined ? {} : { exitCode: run.exitCode }),
    ...(run.workflowPath === undefined ? {} : { workflowPath: run.workflowPath })
  }
  return {
    aixfx: { version: TRACE_FILE_VERSION, run: meta },
    resourceSpans: [...groups.values()].map((group) => ({
      resource: { attributes: keyValues(group.resource) },
      scopeSpans: [{ ...(group.scope === undefined ? {} : { scope: { name: group.scope } }), spans: group.spans.map(encodeSpan) }]
    }))
  }
}

export interface ImportedTrace {
  readonly label: string
  readonly spans: ReadonlyArray<SpanRecord>
}

/** Throws OtlpDecodeError when the document is not OTLP JSON. */
export const decodeTraceFile = (document: unknown, fileName: string): ImportedTrace => {
  const spans = decodeTraceRequest(document)
  const meta = (document as { aixfx?: { run?: { label?: unknown } } }).aixfx?.run
  const root = spans.find((span) => span.parentSpanId === undefined)
  const label = typeof meta?.label === "string" ? meta.label : (root?.name ?? fileName)
  return { label, spans }
}

const encodeSpan = (span: SpanRecord) => ({
  traceId: span.traceId,
  spanId: span.spanId,
  ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
  name: span.name,
  kind: span.kind,
  startTimeUnixNano: msToNanos(span.startMs),
  endTimeUnixNano: msToNanos(span.endMs),
  attributes: keyValues(span.attributes),
  events: span.events.map((event) => ({ name: event.name, timeUnixNano: msToNanos(event.timeMs), attributes: keyValues(event.attributes) })),
  status: { code: span.status === "ok" ? 1 : span.status === "error" ? 2 : 0, ...(span.statusMessage === undefined ? {} : { message: span.statusMessage }) }
})

/** Decoding keeps microseconds, so this round-trips exactly. */
const msToNanos = (ms: number): string => String(BigInt(Math.round(ms * 1_000)) * 1_000n)

const keyValues = (attributes: Attributes) => Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }))

type AnyValue = Record<string, unknown>

const anyValue = (value: AttributeValue): AnyValue => {
  if (value === null) return {}
  if (typeof value === "string") return { stringValue: value }
  if (typeof value === "boolean") return { boolValue: value }
  if (typeof value === "number") return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } }
  return { kvlistValue: { values: keyValues(value as Attributes) } }
}
