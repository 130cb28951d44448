/**
 * Span starts, posted as they happen: each started span goes out as an OTLP/HTTP JSON span with no
 * end time (`endTimeUnixNano: "0"`), so a live viewer (the VS Code extension) can show what is
 * running now, long before the batch exporter sends the finished span. A start is encoded when its
 * batch goes out (~50 ms later), so it carries the attributes set just after the span opened.
 * Off unless a URL is given
 * (`AIXFX_SPAN_STARTS_URL`). Starts are sent in small batches; a failed post is dropped (the
 * finished span still arrives through the regular exporter), and nothing here can fail the run.
 */
import type { Context } from "@opentelemetry/api"
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base"

const FLUSH_MS = 50
/** Starts kept when posts cannot keep up; the oldest are dropped beyond this. */
const MAX_PENDING = 2_000

type AnyValue = { readonly stringValue: string } | { readonly intValue: string } | { readonly doubleValue: number } | { readonly boolValue: boolean }

const anyValue = (value: unknown): AnyValue | undefined => {
  if (typeof value === "string") return { stringValue: value }
  if (typeof value === "boolean") return { boolValue: value }
  if (typeof value === "number") return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
  return undefined
}

const nanos = ([seconds, nanoseconds]: readonly [number, number]): string => (BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)).toString()

const startRecord = (span: Span) => {
  const context = span.spanContext()
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    ...(span.parentSpanContext === undefined ? {} : { parentSpanId: span.parentSpanContext.spanId }),
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: "0",
    attributes: Object.entries(span.attributes).flatMap(([key, value]) => {
      const encoded = anyValue(value)
      return encoded === undefined ? [] : [{ key, value: encoded }]
    })
  }
}

export class SpanStartsProcessor implements SpanProcessor {
  private pending: Array<Span> = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private inFlight: Promise<void> = Promise.resolve()
  private service: string | undefined

  constructor(private readonly url: string) {}

  onStart(span: Span, _parentContext: Context): void {
    this.service ??= String(span.resource.attributes["service.name"] ?? "aixfx")
    this.pending.push(span)
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING)
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS)
      // A pending post must not keep a finished program alive.
      this.timer.unref?.()
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return this.flush()
  }

  shutdown(): Promise<void> {
    return this.flush()
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const spans = this.pending.map(startRecord)
    this.pending = []
    if (spans.length === 0) return this.inFlight
    const body = JSON.stringify({
      resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: this.service ?? "aixfx" } }] }, scopeSpans: [{ scope: { name: "aixfx.span-starts" }, spans }] }]
    })
    const post = fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(2_000) }).then(
      () => undefined,
      () => undefined
    )
    this.inFlight = Promise.all([this.inFlight, post]).then(() => undefined)
    return this.inFlight
  }
}
