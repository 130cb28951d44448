/**
 * The dated pricing table and how a model name finds its price: exact name, aliases (`-latest`,
 * dated snapshots such as `gpt-4o-2024-08-06` or `claude-sonnet-4-5-20250929`, listed aliases),
 * then the longest listed name the model starts with (`gpt-4o-mini-search-preview` → `gpt-4o-mini`).
 * Users extend or override it. Self-hosted providers (Ollama, vLLM, LM Studio) cost $0 unless
 * priced; any other model not found is unknown (`null`), never a silent $0.
 *
 * Usage convention (all providers): `inputTokens` counts every prompt token, including the
 * `cachedInputTokens` read from and the `cacheWriteTokens` written to the prompt cache.
 */
import { Pricing, type Usage } from "@aixfx/core"
import { Layer } from "effect"
import { ALIASES, ANTHROPIC, OPENAI, PRICES_AS_OF } from "./internal/prices.js"

/** USD per 1M tokens. A missing cache rate bills those tokens at the input rate. */
export interface ModelPrice {
  readonly input: number
  readonly output: number
  readonly cachedInput?: number
  readonly cacheWrite?: number
}

export const asOf = PRICES_AS_OF

/** The built-in prices, by provider then model. */
export const builtIn: Readonly<Record<string, Readonly<Record<string, ModelPrice>>>> = { openai: OPENAI, anthropic: ANTHROPIC }

/** Providers that run on your own hardware: $0 unless you price them. */
export const SELF_HOSTED_PROVIDERS: ReadonlyArray<string> = ["ollama", "vllm", "lmstudio", "openai-compatible"]

export interface Options {
  /** Extra or replacement prices, by provider then model: `{ openai: { "ft:gpt-4o-mini:acme": {...} } }`. */
  readonly prices?: Readonly<Record<string, Readonly<Record<string, ModelPrice>>>>
  /** Extra aliases, name → listed name. */
  readonly aliases?: Readonly<Record<string, string>>
  /** Providers priced $0 when a model has no price (default: local/scripted/replay + self-hosted). */
  readonly freeProviders?: ReadonlyArray<string>
}

export type Resolution =
  | { readonly _tag: "Priced"; readonly listedAs: string; readonly price: ModelPrice }
  | { readonly _tag: "Free" }
  | { readonly _tag: "Unknown" }

export interface PricingTable extends Pricing.Service {
  readonly resolve: (provider: string, model: string) => Resolution
}

const DATED = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/

/** The cost of `usage` at `price`, in USD. */
export const cost = (price: ModelPrice, usage: Usage.Usage): number => {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens)
  return (
    (uncached * price.input +
      usage.cachedInputTokens * (price.cachedInput ?? price.input) +
      usage.cacheWriteTokens * (price.cacheWrite ?? price.input) +
      usage.outputTokens * price.output) /
    1_000_000
  )
}

export const make = (options: Options = {}): PricingTable => {
  const providers = new Set([...Object.keys(builtIn), ...Object.keys(options.prices ?? {})])
  const tables = new Map(
    [...providers].map((p) => [p, new Map(Object.entries({ ...builtIn[p], ...options.prices?.[p] }))] as const)
  )
  const aliases: Readonly<Record<string, string>> = { ...ALIASES, ...options.aliases }
  const free = new Set(options.freeProviders ?? [...Pricing.FREE_PROVIDERS, ...SELF_HOSTED_PROVIDERS])

  const find = (table: ReadonlyMap<string, ModelPrice>, model: string): Resolution | undefined => {
    const names = [model, model.replace(/-latest$/, ""), model.replace(DATED, "")].flatMap((n) => [n, aliases[n] ?? n])
    for (const name of names) {
      const price = table.get(name)
      if (price !== undefined) return { _tag: "Priced", listedAs: name, price }
    }
    const prefix = [...table.keys()].filter((key) => model.startsWith(`${key}-`)).sort((a, b) => b.length - a.length)[0]
    return prefix === undefined ? undefined : { _tag: "Priced", listedAs: prefix, price: table.get(prefix)! }
  }

  const resolve = (provider: string, model: string): Resolution => {
    const table = tables.get(provider)
    const found = table === undefined ? undefined : find(table, model)
    return found ?? (free.has(provider) ? { _tag: "Free" } : { _tag: "Unknown" })
  }

  const price = (provider: string, model: string, usage: Usage.Usage): number | null => {
    const r = resolve(provider, model)
    return r._tag === "Priced" ? cost(r.price, usage) : r._tag === "Free" ? 0 : null
  }

  return { resolve, price }
}

/** Provides core's `Pricing` from this table (with your extensions). */
export const layer = (options: Options = {}): Layer.Layer<Pricing.Pricing> => Layer.succeed(Pricing.Pricing, make(options))
