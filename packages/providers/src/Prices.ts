/**
 * Model prices as plain data and functions, importable without Effect or the SDKs (the VS Code
 * extension prices spans with it too; `@aixfx/providers/Prices`).
 *
 * The source is `@pydantic/genai-prices` (a maintained catalogue, pinned; its release date is
 * `asOf`), with long-context tiers and 1-hour cache writes, then a small table of ours for what it
 * lacks, then your prices. A model is priced only under its own name or a listed snapshot of it
 * (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`, `-latest`): never at another model's rate. A
 * model found nowhere is unpriced (`undefined`); add it with `prices`.
 *
 * Usage convention: `inputTokens` counts every prompt token, including the `cachedInputTokens` read
 * from and the `cacheWriteTokens` written to the prompt cache (`cacheWrite1hTokens` of those with
 * the 1-hour lifetime).
 */
import { calcPrice, type MatchLogic, type ModelInfo } from "@pydantic/genai-prices"

/** The pinned `@pydantic/genai-prices` release and the day it was published (its data's date). */
export const CATALOGUE = { name: "@pydantic/genai-prices", version: "0.1.8", publishedOn: "2026-09-23" } as const

/** The date of the prices: the catalogue's release (our own additions are checked against it). */
export const asOf: string = CATALOGUE.publishedOn

/** USD per 1M tokens. A missing cache rate bills those tokens at the input rate. */
export interface ModelPrice {
  readonly input: number
  readonly output: number
  readonly cachedInput?: number
  /** The 5-minute cache write. */
  readonly cacheWrite?: number
  /** The 1-hour cache write (default: `cacheWrite`). */
  readonly cacheWrite1h?: number
  /** Rates for a prompt longer than `above` tokens (every token of the call, as providers bill it). */
  readonly longContext?: { readonly above: number; readonly price: Omit<ModelPrice, "longContext"> }
}

export interface TokenCounts {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly cachedInputTokens: number
  readonly cacheWriteTokens: number
  readonly cacheWrite1hTokens?: number
}

export type PriceTables = Readonly<Record<string, Readonly<Record<string, ModelPrice>>>>

/**
 * What the catalogue lacks, by provider then model, dated. Empty today: every OpenAI and Anthropic
 * model we list is in @pydantic/genai-prices 0.1.8. Batch prices are not here: the catalogue has no
 * batch price field (only notes in descriptions) and aixfx sends no batch requests.
 */
export const OVERRIDES: PriceTables = {}

/** The cost of `usage` at `price`, in USD. */
export const cost = (price: ModelPrice, usage: TokenCounts): number => {
  const rates = price.longContext !== undefined && usage.inputTokens > price.longContext.above ? price.longContext.price : price
  const oneHour = Math.min(usage.cacheWrite1hTokens ?? 0, usage.cacheWriteTokens)
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens)
  const write = rates.cacheWrite ?? rates.input
  return (
    (uncached * rates.input +
      usage.cachedInputTokens * (rates.cachedInput ?? rates.input) +
      (usage.cacheWriteTokens - oneHour) * write +
      oneHour * (rates.cacheWrite1h ?? write) +
      usage.outputTokens * rates.output) /
    1_000_000
  )
}

export type Found =
  | { readonly source: "yours" | "aixfx"; readonly listedAs: string; readonly price: ModelPrice }
  | { readonly source: "genai-prices"; readonly listedAs: string }

/** A name's snapshot suffixes: `-20250929`, `-2024-08-06`, `-latest`, Bedrock's `-v1:0`. */
const SNAPSHOT = /(?:-\d{8}|-\d{4}-\d{2}-\d{2}|-latest|-v\d+(?::\d+)?)+$/

/** The names a catalogue entry lists for itself; `starts_with` names a family of snapshots. */
const listed = (match: MatchLogic, model: string): boolean => {
  if ("equals" in match) return match.equals === model
  if ("starts_with" in match) return model === match.starts_with || model.replace(SNAPSHOT, "") === match.starts_with
  if ("regex" in match) return new RegExp(match.regex).test(model)
  if ("or" in match) return match.or.some((m) => listed(m, model))
  if ("and" in match) return match.and.every((m) => listed(m, model))
  return false
}

const catalogueEntry = (provider: string, model: string): ModelInfo | undefined => {
  const found = calcPrice({}, model, { providerId: provider })
  return found !== null && found.provider.id === provider && listed(found.model.match, model) ? found.model : undefined
}

const usageOf = (u: TokenCounts): Record<string, number> => {
  const counts: Record<string, number> = {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    cache_read_tokens: u.cachedInputTokens,
    cache_write_tokens: u.cacheWriteTokens,
    cache_write_1h_tokens: u.cacheWrite1hTokens ?? 0
  }
  // The catalogue rejects a positive sub-count whose parent is absent, so zeros are left out.
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0))
}

/** Finds a model's price: your `prices` (exact name), ours, then the catalogue (its names and listed snapshots only). */
export const find = (provider: string, model: string, prices: PriceTables = {}): Found | undefined => {
  for (const [source, table] of [["yours", prices], ["aixfx", OVERRIDES]] as const) {
    const price = table[provider]?.[model]
    if (price !== undefined) return { source, listedAs: model, price }
  }
  const entry = catalogueEntry(provider, model)
  return entry === undefined ? undefined : { source: "genai-prices", listedAs: entry.id }
}

/** The cost of `usage` for the model `found`, in USD (`undefined` when the catalogue rejects the counts). */
export const costOf = (found: Found, provider: string, model: string, usage: TokenCounts): number | undefined => {
  if ("price" in found) return cost(found.price, usage)
  try {
    return calcPrice(usageOf(usage), model, { providerId: provider })?.total_price
  } catch {
    return undefined
  }
}

/** The cost in USD, or `undefined` when the model is unpriced. */
export const price = (provider: string, model: string, usage: TokenCounts, prices: PriceTables = {}): number | undefined => {
  const found = find(provider, model, prices)
  return found === undefined ? undefined : costOf(found, provider, model, usage)
}
