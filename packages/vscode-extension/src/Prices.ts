/**
 * Prices a model call from its span when the span carries tokens but no cost (traces from other
 * programs, or runs without cost tracking), with the runtime's own prices: `@aixfx/providers/Prices`
 * (plain data and functions, bundled; no runtime code of aixfx comes with it). A model is priced
 * only under its own name or a listed snapshot, as at run time; local and self-hosted providers
 * cost $0.
 */
import { price } from "../../providers/src/Prices.js"
import { type SpanRecord, numberAttribute, stringAttribute } from "./Span.js"

const FREE = new Set(["local", "scripted", "replay", "ollama", "vllm", "lmstudio", "openai-compatible"])

const providerOf = (span: SpanRecord, model: string): string | undefined => {
  const named = stringAttribute(span.attributes, "gen_ai.provider.name") ?? stringAttribute(span.attributes, "gen_ai.system")
  if (named !== undefined) return named.toLowerCase()
  return /^(gpt-|o\d|chatgpt-)/.test(model) ? "openai" : model.startsWith("claude-") ? "anthropic" : undefined
}

/** USD for the span's tokens at its model's list price; undefined when the model or its tokens are unknown. */
export const priceSpan = (span: SpanRecord): number | undefined => {
  const attributes = span.attributes
  const model = stringAttribute(attributes, "gen_ai.response.model") ?? stringAttribute(attributes, "gen_ai.request.model")
  const input = numberAttribute(attributes, "gen_ai.usage.input_tokens")
  const output = numberAttribute(attributes, "gen_ai.usage.output_tokens")
  if (model === undefined || (input === undefined && output === undefined)) return undefined
  const provider = providerOf(span, model)
  if (provider === undefined) return undefined
  if (FREE.has(provider)) return 0
  const inputTokens = input ?? 0
  const cached = Math.min(
    inputTokens,
    numberAttribute(attributes, "gen_ai.usage.cache_read.input_tokens") ?? numberAttribute(attributes, "gen_ai.usage.cached_input_tokens") ?? 0
  )
  const written = Math.min(inputTokens - cached, numberAttribute(attributes, "gen_ai.usage.cache_creation.input_tokens") ?? 0)
  return price(provider, model, { inputTokens, outputTokens: output ?? 0, cachedInputTokens: cached, cacheWriteTokens: written })
}
