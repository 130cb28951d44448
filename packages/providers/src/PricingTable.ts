/**
 * Core's `Pricing` from the maintained price catalogue (`Prices`: @pydantic/genai-prices, our
 * additions, your prices). A model is priced under its own name or a listed snapshot of it, never
 * at another model's rate; one found nowhere is `Unpriced` (`null` in the ledger, warned about once
 * by `withCostTracking`). Self-hosted providers (Ollama, vLLM, LM Studio) cost $0 unless priced.
 */
import * as Pricing from "@aixfx/core/Pricing"
import type * as Usage from "@aixfx/core/Usage"
import { Layer } from "effect"
import * as Prices from "./Prices.js"

export type ModelPrice = Prices.ModelPrice

/** The date of the prices (the catalogue's release). */
export const asOf = Prices.asOf

export const cost = (price: ModelPrice, usage: Usage.Usage): number => Prices.cost(price, usage)

/** Providers that run on your own hardware: $0 unless you price them. */
export const SELF_HOSTED_PROVIDERS: ReadonlyArray<string> = ["ollama", "vllm", "lmstudio", "openai-compatible"]

export interface Options {
  /** Extra or replacement prices, by provider then exact model name: `{ openai: { "ft:gpt-4o-mini:acme": {...} } }`. */
  readonly prices?: Prices.PriceTables
  /** Other names of a model, name → the name it is priced under. */
  readonly aliases?: Readonly<Record<string, string>>
  /** Providers priced $0 when a model has no price (default: local/scripted/replay + self-hosted). */
  readonly freeProviders?: ReadonlyArray<string>
}

export type Resolution =
  | { readonly _tag: "Priced"; readonly listedAs: string; readonly source: Prices.Found["source"] }
  | { readonly _tag: "Free" }
  | { readonly _tag: "Unpriced" }

export interface PricingTable extends Pricing.Service {
  readonly resolve: (provider: string, model: string) => Resolution
}

export const make = (options: Options = {}): PricingTable => {
  const prices = options.prices ?? {}
  const aliases = options.aliases ?? {}
  const free = new Set(options.freeProviders ?? [...Pricing.FREE_PROVIDERS, ...SELF_HOSTED_PROVIDERS])
  // Resolution by name is the same for every call of a model: done once per name.
  const found = new Map<string, { readonly model: string; readonly found: Prices.Found | undefined }>()
  const lookup = (provider: string, model: string) => {
    const key = `${provider}:${model}`
    let hit = found.get(key)
    if (hit === undefined) {
      const name = aliases[model] ?? model
      hit = { model: name, found: Prices.find(provider, name, prices) }
      found.set(key, hit)
    }
    return hit
  }

  const resolve = (provider: string, model: string): Resolution => {
    const hit = lookup(provider, model).found
    if (hit !== undefined) return { _tag: "Priced", listedAs: hit.listedAs, source: hit.source }
    return free.has(provider) ? { _tag: "Free" } : { _tag: "Unpriced" }
  }

  const price = (provider: string, model: string, usage: Usage.Usage): number | null => {
    const hit = lookup(provider, model)
    if (hit.found === undefined) return free.has(provider) ? 0 : null
    return Prices.costOf(hit.found, provider, hit.model, usage) ?? null
  }

  return { resolve, price, asOf }
}

/** Provides core's `Pricing` from this table (with your extensions). */
export const layer = (options: Options = {}): Layer.Layer<Pricing.Pricing> => Layer.succeed(Pricing.Pricing, make(options))
