/**
 * Where spans go. Every layer here installs the OpenTelemetry tracer for Effect's spans
 * (@effect/opentelemetry NodeSdk); span processors are flushed when the layer's scope closes, so
 * a short script loses nothing.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option } from "effect"

export { InMemorySpanExporter, type ReadableSpan }

const DEFAULT_SERVICE = "aixfx"

/** Spans into `exporter`, synchronously (tests read them while the layer is still in scope). */
export const layerMemory = (exporter: InMemorySpanExporter, serviceName = "aixfx-test"): Layer.Layer<never> =>
  Layer.discard(NodeSdk.layer(() => ({ resource: { serviceName }, spanProcessor: new SimpleSpanProcessor(exporter) })))

export interface OtlpOptions {
  /** The collector's traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
  readonly url: string
  readonly headers?: Record<string, string>
  readonly serviceName?: string
}

/** Spans to an OTLP/HTTP collector, batched and flushed on scope close. */
export const layerOtlp = (options: OtlpOptions): Layer.Layer<never> =>
  Layer.discard(
    NodeSdk.layer(() => ({
      resource: { serviceName: options.serviceName ?? DEFAULT_SERVICE },
      spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: options.url, headers: options.headers ?? {} }))
    }))
  )

/** OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (standard `/v1/traces` suffix), else nothing. */
export const layerFromEnv: Layer.Layer<never> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const endpoint = yield* Config.option(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT"))
    const serviceName = yield* Config.withDefault(Config.string("OTEL_SERVICE_NAME"), DEFAULT_SERVICE)
    return Option.match(endpoint, {
      onNone: () => Layer.empty,
      onSome: (base) => layerOtlp({ url: `${base.replace(/\/$/, "")}/v1/traces`, serviceName })
    })
  }).pipe(Effect.orDie)
)
