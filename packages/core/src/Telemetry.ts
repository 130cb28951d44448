/**
 * Where spans and metrics go. `layer` installs ONE OpenTelemetry SDK (@effect/opentelemetry
 * NodeSdk) for Effect's spans and metrics, with one span processor per destination — in-memory,
 * OTLP/HTTP (protobuf or JSON), Langfuse — so several destinations are active at once and see the same spans. Span
 * processors and metric readers are flushed when the layer's scope closes, so a short script
 * loses nothing.
 *
 * Build one layer with every destination (`layer({ otlp, langfuse, memory })`), not a merge of
 * several `layerOtlp` / `layerLangfuse`: each layer installs its own tracer and only one tracer
 * is active in a fiber.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { currentOtelSpan } from "@effect/opentelemetry/Tracer"
import { isDefaultExportSpan, LangfuseSpanProcessor } from "@langfuse/otel"
import { OTLPMetricExporter as OTLPMetricExporterJson } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPMetricExporter as OTLPMetricExporterProto } from "@opentelemetry/exporter-metrics-otlp-proto"
import { OTLPTraceExporter as OTLPTraceExporterJson } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as OTLPTraceExporterProto } from "@opentelemetry/exporter-trace-otlp-proto"
import { type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor
} from "@opentelemetry/sdk-trace-base"
import { Config, ConfigError, Effect, Either, Layer, Option, Redacted } from "effect"
import { DEFAULT_MAX_LENGTH, type ContentCaptureOptions, currentContentCapture } from "./internal/telemetryContent.js"
import { SpanStartsProcessor } from "./internal/spanStarts.js"
import { provideCurrentOtelSpan } from "./internal/otelSpan.js"
import { RunMetricsProcessor } from "./internal/telemetryMetrics.js"

export { type ContentCaptureOptions, currentContentCapture, InMemorySpanExporter, type ReadableSpan }

// Array-valued attributes (finish reasons) go on the OpenTelemetry span; see internal/otelSpan.
provideCurrentOtelSpan(currentOtelSpan)

const DEFAULT_SERVICE = "aixfx"
const DEFAULT_LANGFUSE_URL = "https://cloud.langfuse.com"
const DEFAULT_PROTOCOL: OtlpProtocol = "http/protobuf"

/**
 * How OTLP/HTTP bodies are encoded: `http/protobuf` (binary protobuf, the OTLP specification's
 * default) or `http/json`. OTLP over gRPC is not offered.
 */
export type OtlpProtocol = "http/protobuf" | "http/json"

export const OTLP_PROTOCOLS: ReadonlyArray<OtlpProtocol> = ["http/protobuf", "http/json"]

export interface OtlpOptions {
  /** The collector's traces URL, e.g. http://127.0.0.1:4318/v1/traces; absent: no trace export (metrics only). */
  readonly url?: string
  /** Also export metrics to this URL (e.g. http://127.0.0.1:4318/v1/metrics). */
  readonly metricsUrl?: string
  /** The encoding of trace exports (default `http/protobuf`, as the OTLP specification's). */
  readonly protocol?: OtlpProtocol
  /** The encoding of metric exports (default: `protocol`). */
  readonly metricsProtocol?: OtlpProtocol
  /** Sent with every export (auth headers may be `Redacted`; they never reach a span). */
  readonly headers?: Readonly<Record<string, string | Redacted.Redacted<string>>>
  readonly serviceName?: string
}

export interface LangfuseOptions {
  readonly publicKey: string
  readonly secretKey: string | Redacted.Redacted<string>
  /** Default https://cloud.langfuse.com. */
  readonly baseUrl?: string
  readonly environment?: string
  readonly release?: string
  /** Which spans Langfuse receives (default `exportToLangfuse`: every aixfx span). */
  readonly shouldExportSpan?: (span: ReadableSpan) => boolean
}

export interface Options {
  /** `service.name` of the resource and the tracer (default "aixfx"; `OTEL_SERVICE_NAME` wins). */
  readonly serviceName?: string
  readonly otlp?: OtlpOptions
  readonly langfuse?: LangfuseOptions
  /** Spans into this exporter, synchronously (tests read them while the layer is in scope). */
  readonly memory?: InMemorySpanExporter
  /** More metric readers (e.g. a reader a test collects from). */
  readonly metricReaders?: ReadonlyArray<MetricReader>
  /** Prompts and completions on `chat` spans: off by default; `true` or options turn it on. */
  readonly captureContent?: boolean | Partial<ContentCaptureOptions>
  /**
   * Also post each span as it starts (OTLP/HTTP JSON, no end time) to this traces URL, so a live
   * viewer shows what is running now (the VS Code extension sets `AIXFX_SPAN_STARTS_URL`).
   */
  readonly spanStartsUrl?: string
}

/**
 * Langfuse's own filter keeps only spans with `gen_ai.*` attributes or from known LLM libraries, so
 * workflow, pattern, step and user spans would be dropped and their children orphaned. This keeps
 * those too: every span of the Effect tracer (whose scope is named after the service), and
 * whatever Langfuse's default keeps from other instrumentation.
 */
export const exportToLangfuse = (span: ReadableSpan): boolean =>
  span.instrumentationScope.name === span.resource.attributes["service.name"] || isDefaultExportSpan(span)

const reveal = (value: string | Redacted.Redacted<string>) => (Redacted.isRedacted(value) ? Redacted.value(value) : value)

const revealAll = (headers: OtlpOptions["headers"]): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, reveal(v)]))

const captureOptions = (capture: Options["captureContent"]): ContentCaptureOptions =>
  typeof capture === "object"
    ? { enabled: capture.enabled ?? true, maxLength: capture.maxLength ?? DEFAULT_MAX_LENGTH }
    : { enabled: capture === true, maxLength: DEFAULT_MAX_LENGTH }

/** Runs `effect` with content capture set (e.g. on for one debugging run). */
export const withContentCapture = (capture: boolean | Partial<ContentCaptureOptions>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locally(effect, currentContentCapture, captureOptions(capture))

/** Span processors for the destinations in `options`, made afresh for each build of the layer. */
const spanProcessors = (options: Options): Array<SpanProcessor> => {
  const processors: Array<SpanProcessor> = []
  if (options.spanStartsUrl !== undefined) processors.push(new SpanStartsProcessor(options.spanStartsUrl))
  if (options.memory !== undefined) processors.push(new SimpleSpanProcessor(options.memory))
  const { otlp } = options
  if (otlp?.url !== undefined) {
    const config = { url: otlp.url, headers: revealAll(otlp.headers) }
    const exporter = (otlp.protocol ?? DEFAULT_PROTOCOL) === "http/json" ? new OTLPTraceExporterJson(config) : new OTLPTraceExporterProto(config)
    processors.push(new BatchSpanProcessor(exporter))
  }
  if (options.langfuse !== undefined) {
    const { langfuse } = options
    const shouldExportSpan = langfuse.shouldExportSpan ?? exportToLangfuse
    processors.push(
      new LangfuseSpanProcessor({
        publicKey: langfuse.publicKey,
        secretKey: reveal(langfuse.secretKey),
        baseUrl: langfuse.baseUrl ?? DEFAULT_LANGFUSE_URL,
        shouldExportSpan: ({ otelSpan }) => shouldExportSpan(otelSpan),
        ...(langfuse.environment === undefined ? {} : { environment: langfuse.environment }),
        ...(langfuse.release === undefined ? {} : { release: langfuse.release })
      })
    )
  }
  // Agent and pattern metrics come from their spans as they end.
  const exportsMetrics = (options.metricReaders ?? []).length > 0 || options.otlp?.metricsUrl !== undefined
  if (processors.length > 0 || exportsMetrics) processors.push(new RunMetricsProcessor())
  return processors
}

const otlpMetricReader = (otlp: OtlpOptions, url: string): MetricReader => {
  const config = { url, headers: revealAll(otlp.headers) }
  const protocol = otlp.metricsProtocol ?? otlp.protocol ?? DEFAULT_PROTOCOL
  return new PeriodicExportingMetricReader({ exporter: protocol === "http/json" ? new OTLPMetricExporterJson(config) : new OTLPMetricExporterProto(config) })
}

const metricReaders = (options: Options): Array<MetricReader> => [
  ...(options.metricReaders ?? []),
  ...(options.otlp?.metricsUrl === undefined ? [] : [otlpMetricReader(options.otlp, options.otlp.metricsUrl)])
]

/** The SDK with every destination in `options` (and agent/pattern metrics), plus the content-capture setting. */
export const layer = (options: Options): Layer.Layer<never> => {
  const capture = Layer.locallyScoped(currentContentCapture, captureOptions(options.captureContent))
  const hasDestination = options.memory !== undefined || options.otlp !== undefined || options.langfuse !== undefined || options.spanStartsUrl !== undefined
  if (!hasDestination && (options.metricReaders ?? []).length === 0) return capture
  const serviceName = options.serviceName ?? options.otlp?.serviceName ?? DEFAULT_SERVICE
  const sdk = Layer.discard(
    NodeSdk.layer(() => ({
      resource: { serviceName },
      spanProcessor: spanProcessors(options),
      metricReader: metricReaders(options),
      shutdownTimeout: "10 seconds"
    }))
  )
  return Layer.merge(sdk, capture)
}

/** Spans into `exporter`, synchronously (tests read them while the layer is still in scope). */
export const layerMemory = (exporter: InMemorySpanExporter, serviceName = "aixfx-test"): Layer.Layer<never> =>
  layer({ memory: exporter, serviceName })

/** Spans to an OTLP/HTTP collector, batched and flushed on scope close. */
export const layerOtlp = (options: OtlpOptions): Layer.Layer<never> => layer({ otlp: options })

/** Spans to Langfuse (its OTLP endpoint, basic auth with the key pair), batched and flushed on scope close. */
export const layerLangfuse = (options: LangfuseOptions & { readonly serviceName?: string }): Layer.Layer<never> =>
  layer({ langfuse: options, ...(options.serviceName === undefined ? {} : { serviceName: options.serviceName }) })

/** `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs, comma-separated, values URL-encoded. */
const parseHeaders = (raw: string): Record<string, Redacted.Redacted<string>> =>
  Object.fromEntries(
    raw
      .split(",")
      .map((pair) => pair.split("="))
      .filter((kv) => kv.length >= 2 && kv[0]!.trim() !== "")
      .map(([k, ...v]) => [k!.trim(), Redacted.make(decodeURIComponent(v.join("=").trim()))])
  )

/**
 * An OTLP protocol variable: one of `OTLP_PROTOCOLS`, or a `ConfigError` naming the variable and the
 * value (`grpc` included: aixfx exports over HTTP only).
 */
const protocolConfig = (name: string): Config.Config<Option.Option<OtlpProtocol>> =>
  Config.option(
    Config.string(name).pipe(
      Config.mapOrFail((raw) => {
        const value = raw.trim().toLowerCase()
        if ((OTLP_PROTOCOLS as ReadonlyArray<string>).includes(value)) return Either.right(value as OtlpProtocol)
        const why = value === "grpc" ? "OTLP over gRPC is not supported; aixfx exports OTLP over HTTP" : "unknown OTLP protocol"
        return Either.left(ConfigError.InvalidData([name], `${name}=${raw}: ${why}; use one of ${OTLP_PROTOCOLS.join(", ")}`))
      })
    )
  )

/** The options `layerFromEnv` reads (exposed for tests and for composing with more destinations). */
export const optionsFromEnv: Effect.Effect<Options, ConfigError.ConfigError> = Effect.gen(function* () {
  const endpoint = yield* Config.option(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT"))
  // A signal's own endpoint is its full URL, used as is; the general one is a base that gets the signal's path.
  const tracesEndpoint = yield* Config.option(Config.string("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
  const metricsEndpoint = yield* Config.option(Config.string("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
  const tracesOff = (yield* Config.withDefault(Config.string("OTEL_TRACES_EXPORTER"), "otlp")) === "none"
  const headers = yield* Config.withDefault(Config.redacted("OTEL_EXPORTER_OTLP_HEADERS"), Redacted.make(""))
  const metricsOff = (yield* Config.withDefault(Config.string("OTEL_METRICS_EXPORTER"), "otlp")) === "none"
  const serviceName = yield* Config.withDefault(Config.string("OTEL_SERVICE_NAME"), DEFAULT_SERVICE)
  const publicKey = yield* Config.option(Config.string("LANGFUSE_PUBLIC_KEY"))
  const secretKey = yield* Config.option(Config.redacted("LANGFUSE_SECRET_KEY"))
  const baseUrl = yield* Config.withDefault(Config.string("LANGFUSE_BASE_URL"), DEFAULT_LANGFUSE_URL)
  const capture = yield* Config.withDefault(Config.boolean("AIXFX_CAPTURE_CONTENT"), false)
  const maxLength = yield* Config.withDefault(Config.integer("AIXFX_CAPTURE_MAX_LENGTH"), DEFAULT_MAX_LENGTH)
  const spanStartsUrl = yield* Config.option(Config.string("AIXFX_SPAN_STARTS_URL"))
  // The signal's own variable wins over the general one (the OTLP exporter specification).
  const protocol = yield* protocolConfig("OTEL_EXPORTER_OTLP_PROTOCOL")
  const tracesProtocol = Option.getOrElse(Option.orElse(yield* protocolConfig("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), () => protocol), () => DEFAULT_PROTOCOL)
  const metricsProtocol = Option.getOrElse(Option.orElse(yield* protocolConfig("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"), () => protocol), () => DEFAULT_PROTOCOL)
  if (Option.isSome(publicKey) !== Option.isSome(secretKey)) {
    // Half a key pair is a mistake worth failing on: every export would be rejected.
    return yield* Config.fail(
      `Langfuse needs both LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY; only ${Option.isSome(publicKey) ? "LANGFUSE_PUBLIC_KEY" : "LANGFUSE_SECRET_KEY"} is set`
    )
  }
  const signalUrl = (own: Option.Option<string>, path: string, off: boolean): string | undefined =>
    off ? undefined : Option.getOrUndefined(Option.orElse(own, () => Option.map(endpoint, (base) => `${base.replace(/\/$/, "")}${path}`)))
  const tracesUrl = signalUrl(tracesEndpoint, "/v1/traces", tracesOff)
  const metricsUrl = signalUrl(metricsEndpoint, "/v1/metrics", metricsOff)
  const otlp: Option.Option<OtlpOptions> = tracesUrl === undefined && metricsUrl === undefined
    ? Option.none()
    : Option.some({
      ...(tracesUrl === undefined ? {} : { url: tracesUrl }),
      protocol: tracesProtocol,
      headers: parseHeaders(Redacted.value(headers)),
      ...(metricsUrl === undefined ? {} : { metricsUrl, metricsProtocol })
    })
  return {
    serviceName,
    captureContent: { enabled: capture, maxLength },
    ...Option.match(spanStartsUrl, { onNone: () => ({}), onSome: (url) => ({ spanStartsUrl: url }) }),
    ...Option.match(otlp, { onNone: () => ({}), onSome: (o) => ({ otlp: o }) }),
    ...(Option.isSome(publicKey) && Option.isSome(secretKey)
      ? { langfuse: { publicKey: publicKey.value, secretKey: secretKey.value, baseUrl } }
      : {})
  }
})

/**
 * Every destination the environment configures: OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set
 * (`/v1/traces`, and `/v1/metrics` unless `OTEL_METRICS_EXPORTER=none`) or a signal's own
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (a full URL, used as
 * is; it wins over the general one; `OTEL_TRACES_EXPORTER=none` turns traces off); `OTEL_EXPORTER_OTLP_HEADERS`;
 * protobuf unless `OTEL_EXPORTER_OTLP_PROTOCOL` / `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL` say `http/json`),
 * Langfuse when `LANGFUSE_PUBLIC_KEY` and `LANGFUSE_SECRET_KEY` are (`LANGFUSE_BASE_URL`), named
 * `OTEL_SERVICE_NAME`; content capture with `AIXFX_CAPTURE_CONTENT=1` (`AIXFX_CAPTURE_MAX_LENGTH`); span
 * starts posted live to `AIXFX_SPAN_STARTS_URL` when it is set.
 */
export const layerFromEnv: Layer.Layer<never, ConfigError.ConfigError> = Layer.unwrapEffect(Effect.map(optionsFromEnv, layer))
