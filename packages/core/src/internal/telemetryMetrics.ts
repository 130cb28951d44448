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

// Each metric's unit is one of its labels (see `update`).
const counter = (name: string, description: string, unit: string) => ({ metric: Metric.counter(name, { description, incremental: true }), unit })

const latency = (name: string, description: string) => ({ metric: Metric.histogram(name, latencyBoundaries, description), unit: "s" })

const modelCalls = counter("aixfx.model.calls", "Model calls", "{call}")
const modelTokens = counter("aixfx.model.tokens", "Model tokens, by gen_ai.token.type (input, output)", "{token}")
const modelCost = counter("aixfx.model.cost", "Model cost of the calls whose price is known", "USD")
const modelDuration = latency("gen_ai.client.operation.duration", "Model call latency")
const agentCalls = counter("aixfx.agent.calls", "Agent executions", "{call}")
const agentDuration = latency("aixfx.agent.duration", "Agent execution latency")
const patternRuns = counter("aixfx.pattern.runs", "Pattern runs", "{run}")
const patternDuration = latency("aixfx.pattern.duration", "Pattern run latency")

type Pairs = ReadonlyArray<readonly [string, string]>

/** Labels as name/value pairs, with their JSON as the key of their cached array (see `update`). */
interface Labels {
  readonly pairs: Pairs
  readonly key: string
}

const labels = (pairs: Pairs): Labels => ({ pairs, key: JSON.stringify(pairs) })

/**
 * One array per label set, made once. Effect finds a metric's series by the identity of the labels
 * array it is updated with; a new array each time meant a lookup in its global registry, hashing
 * every label, on every update (most of a model call's cost when nothing exports the metrics).
 */
const labelArrays = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

/** Updates `series` (a metric and its unit) with `value` under `labels` and `extra`. */
const update = (
  series: { readonly metric: Pick<Metric.Metric<unknown, number, unknown>, "unsafeUpdate">; readonly unit: string },
  value: number,
  { key, pairs }: Labels,
  extra: Pairs = []
) => {
  const all: Pairs = [...extra, ["unit", series.unit]]
  const fullKey = key + JSON.stringify(all)
  let array = labelArrays.get(fullKey)
  if (array === undefined) {
    array = [...pairs, ...all].map(([name, value]) => MetricLabel.make(name, value))
    labelArrays.set(fullKey, array)
  }
  series.metric.unsafeUpdate(value, array)
}

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
    const callLabels = labels([
      ["gen_ai.provider.name", call.provider],
      ["gen_ai.response.model", call.model],
      ["gen_ai.agent.name", call.agent ?? ""],
      ["aixfx.pattern.path", patternPathLabel(call.patternPath)],
      ...(call.error === undefined ? [] : [["error.type", call.error] as const])
    ])
    update(modelCalls, 1, callLabels)
    update(modelTokens, call.usage.inputTokens, callLabels, [["gen_ai.token.type", "input"]])
    update(modelTokens, call.usage.outputTokens, callLabels, [["gen_ai.token.type", "output"]])
    if (call.costUsd !== null) update(modelCost, call.costUsd, callLabels)
    update(modelDuration, call.durationMs / 1000, callLabels)
  })

const seconds = (span: ReadableSpan) => span.duration[0] + span.duration[1] / 1e9

/** The `error.type` of a failed span, as a label. */
const errorLabels = (span: ReadableSpan): Pairs => {
  const type = span.attributes["error.type"]
  return span.status.code === 2 ? [["error.type", typeof type === "string" ? type : "error"]] : []
}

/** Records agent executions (`invoke_agent <agent>` spans) and pattern runs (`pattern.<kind> <name>` spans). */
export class RunMetricsProcessor implements SpanProcessor {
  onStart(_span: Span): void {}
  onEnd(span: ReadableSpan): void {
    const kind = span.attributes["aixfx.pattern.kind"]
    if (span.name.startsWith("pattern.") && typeof kind === "string") {
      const runLabels = labels([
        ["aixfx.pattern.kind", kind],
        ["aixfx.pattern.name", String(span.attributes["aixfx.pattern.name"] ?? "")],
        ...errorLabels(span)
      ])
      update(patternRuns, 1, runLabels)
      update(patternDuration, seconds(span), runLabels)
    } else if (span.name.startsWith("invoke_agent ")) {
      const agentLabels = labels([["gen_ai.agent.name", String(span.attributes["gen_ai.agent.name"] ?? "")], ...errorLabels(span)])
      update(agentCalls, 1, agentLabels)
      update(agentDuration, seconds(span), agentLabels)
    }
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
