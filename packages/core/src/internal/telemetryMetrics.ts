/**
 * The metrics, as Effect `Metric`s (exported through OpenTelemetry by the Telemetry layers).
 * Model calls are recorded where they settle (LanguageModel.make); agent and pattern runs are
 * recorded from their spans as they end, so every runtime and pattern gets them without code of its own.
 */
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Metric, MetricBoundaries, MetricLabel } from "effect"
import type { Usage } from "../Usage.js"

/** Seconds, from 10 ms to ~5.5 min. */
const latencyBoundaries = MetricBoundaries.exponential({ start: 0.01, factor: 2, count: 16 })

const counter = (name: string, description: string, unit: string): Metric.Metric.Counter<number> =>
  Metric.counter(name, { description, incremental: true }).pipe(Metric.tagged("unit", unit))

const latency = (name: string, description: string): Metric.Metric.Histogram<number> => Metric.histogram(name, latencyBoundaries, description).pipe(Metric.tagged("unit", "s"))

const modelCalls = counter("aixfx.model.calls", "Model calls", "{call}")
const modelTokens = counter("aixfx.model.tokens", "Model tokens, by gen_ai.token.type (input, output)", "{token}")
const modelCost = counter("aixfx.model.cost", "Model cost of the calls whose price is known", "USD")
const modelDuration = latency("gen_ai.client.operation.duration", "Model call latency")
const agentCalls = counter("aixfx.agent.calls", "Agent executions", "{call}")
const agentDuration = latency("aixfx.agent.duration", "Agent execution latency")
const patternRuns = counter("aixfx.pattern.runs", "Pattern runs", "{run}")
const patternDuration = latency("aixfx.pattern.duration", "Pattern run latency")

export interface ModelCall {
  readonly provider: string
  readonly model: string
  readonly agent: string | undefined
  readonly patternPath: ReadonlyArray<string>
  readonly usage: Usage
  readonly costUsd: number | null
  readonly durationMs: number
  readonly error?: string | undefined
}

/** Pattern paths as one label value, outermost first. */
const patternPathLabel = (path: ReadonlyArray<string>): string => path.join("/")

/** Records one settled model call: calls, tokens by type, cost (when known), latency. */
export const recordModelCall = (call: ModelCall): Effect.Effect<void> =>
  Effect.sync(() => {
    const labels = [
      MetricLabel.make("gen_ai.provider.name", call.provider),
      MetricLabel.make("gen_ai.response.model", call.model),
      MetricLabel.make("gen_ai.agent.name", call.agent ?? ""),
      MetricLabel.make("aixfx.pattern.path", patternPathLabel(call.patternPath)),
      ...(call.error === undefined ? [] : [MetricLabel.make("error.type", call.error)])
    ]
    modelCalls.unsafeUpdate(1, labels)
    modelTokens.unsafeUpdate(call.usage.inputTokens, [...labels, MetricLabel.make("gen_ai.token.type", "input")])
    modelTokens.unsafeUpdate(call.usage.outputTokens, [...labels, MetricLabel.make("gen_ai.token.type", "output")])
    if (call.costUsd !== null) modelCost.unsafeUpdate(call.costUsd, labels)
    modelDuration.unsafeUpdate(call.durationMs / 1000, labels)
  })

const seconds = (span: ReadableSpan) => span.duration[0] + span.duration[1] / 1e9

/** The `error.type` of a failed span, as a label. */
const errorLabels = (span: ReadableSpan) => {
  const type = span.attributes["error.type"]
  return span.status.code === 2 ? [MetricLabel.make("error.type", typeof type === "string" ? type : "error")] : []
}

/** Records agent executions (`invoke_agent <agent>` spans) and pattern runs (`pattern.<kind> <name>` spans). */
export class RunMetricsProcessor implements SpanProcessor {
  onStart(_span: Span): void {}
  onEnd(span: ReadableSpan): void {
    const kind = span.attributes["aixfx.pattern.kind"]
    if (span.name.startsWith("pattern.") && typeof kind === "string") {
      const labels = [
        MetricLabel.make("aixfx.pattern.kind", kind),
        MetricLabel.make("aixfx.pattern.name", String(span.attributes["aixfx.pattern.name"] ?? "")),
        ...errorLabels(span)
      ]
      patternRuns.unsafeUpdate(1, labels)
      patternDuration.unsafeUpdate(seconds(span), labels)
    } else if (span.name.startsWith("invoke_agent ")) {
      const labels = [MetricLabel.make("gen_ai.agent.name", String(span.attributes["gen_ai.agent.name"] ?? "")), ...errorLabels(span)]
      agentCalls.unsafeUpdate(1, labels)
      agentDuration.unsafeUpdate(seconds(span), labels)
    }
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
