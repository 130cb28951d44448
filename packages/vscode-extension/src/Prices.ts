/**
 * Prices a model call from its span when the span carries tokens but no cost (traces from other
 * programs, or runs without cost tracking), with the runtime's own dated price table: the data is
 * imported from @aixfx/providers (plain data, bundled; no runtime code of aixfx comes with it).
 * The lookup follows PricingTable.resolve: exact name, `-latest` and dated snapshots, aliases, then
 * the longest listed name the model starts with; local and self-hosted providers cost $0.
 */
import { ALIASES, ANTHROPIC, OPENAI } from "../../providers/src/internal/prices.js"
import { type SpanRecord, numberAttribute, stringAttribute } from "./Span.js"

interface Price {
  readonly input: number
  readonly output: number
  readonly cachedInput?: number
}

const TABLES: Readonly<Record<string, Readonly<Record<string, Price>>>> = { openai: OPENAI, anthropic: ANTHROPIC }
const FREE = new Set(["local", "scripted", "replay", "ollama", "vllm", "lmstudio", "openai-compatible"])
const DATED = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/

const providerOf = (span: SpanRecord, model: string): string | undefined => {
  const named = stringAttribute(span.attributes, "gen_ai.provider.name") ?? stringAttribute(span.attributes, "gen_ai.system")
  if (named !== undefined) return named.toLowerCase()
  return /^(gpt-|o\d|chatgpt-)/.test(model) ? "openai" : model.startsWith("claude-") ? "anthropic" : undefined
}

const find = (table: Readonly<Record<string, Price>>, model: string): Price | undefined => {
  const names = [model, model.replace(/-latest$/, ""), model.replace(DATED, "")].flatMap((name) => [name, ALIASES[name] ?? name])
  for (const name of names) if (table[name] !== undefined) return table[name]
  const prefix = Object.keys(table)
    .filter((key) => model.startsWith(`${key}-`))
    .sort((a, b) => b.length - a.length)[0]
  return prefix === undefined ? undefined : table[prefix]
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
  const table = TABLES[provider]
  const price = table === undefined ? undefined : find(table, model)
  if (price === undefined) return FREE.has(provider) ? 0 : undefined
  const cached = Math.min(input ?? 0, numberAttribute(attributes, "gen_ai.usage.cached_input_tokens") ?? numberAttribute(attributes, "gen_ai.usage.cache_read.input_tokens") ?? 0)
  return (((input ?? 0) - cached) * price.input + cached * (price.cachedInput ?? price.input) + (output ?? 0) * price.output) / 1_000_000
}
