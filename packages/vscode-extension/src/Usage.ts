/**
 * Tokens and cost read from the GenAI attributes (docs/telemetry-conventions.md) and rolled up
 * over a span tree.
 */
import { priceSpan } from "./Prices.js"
import { type SpanRecord, numberAttribute } from "./Span.js"

export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
  /** USD; undefined when no span in scope carried a price. */
  readonly costUsd: number | undefined
  readonly modelCalls: number
}

export const emptyUsage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: undefined, modelCalls: 0 }

const MODEL_OPERATIONS = new Set(["chat", "text_completion", "generate_content", "embeddings"])

const isModelCall = (span: SpanRecord): boolean => {
  const operation = span.attributes["gen_ai.operation.name"]
  return typeof operation === "string" && MODEL_OPERATIONS.has(operation)
}

/** What the span itself reports (not its children); a model call with tokens but no cost is priced from the table. */
export const ownUsage = (span: SpanRecord): Usage => {
  const inputTokens = numberAttribute(span.attributes, "gen_ai.usage.input_tokens")
  const outputTokens = numberAttribute(span.attributes, "gen_ai.usage.output_tokens")
  return {
    inputTokens: inputTokens ?? 0,
    outputTokens: outputTokens ?? 0,
    costUsd: numberAttribute(span.attributes, "gen_ai.usage.cost") ?? (isModelCall(span) ? priceSpan(span) : undefined),
    modelCalls: isModelCall(span) ? 1 : 0
  }
}

export const addUsage = (a: Usage, b: Usage): Usage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  costUsd: a.costUsd === undefined ? b.costUsd : b.costUsd === undefined ? a.costUsd : a.costUsd + b.costUsd,
  modelCalls: a.modelCalls + b.modelCalls
})

/**
 * A span's total, per figure: its children's sum when they report that figure, else its own. Never
 * both, so a parent that also records the sum of its children (some frameworks do) is not counted twice.
 */
export const rollUp = (own: Usage, children: ReadonlyArray<Usage>): Usage => {
  const sum = children.reduce(addUsage, emptyUsage)
  const tokensFromChildren = sum.inputTokens + sum.outputTokens > 0
  return {
    inputTokens: tokensFromChildren ? sum.inputTokens : own.inputTokens,
    outputTokens: tokensFromChildren ? sum.outputTokens : own.outputTokens,
    costUsd: sum.costUsd ?? own.costUsd,
    modelCalls: sum.modelCalls + own.modelCalls
  }
}
