/**
 * How much a call cost. Core only defines the service; `@aixfx/providers` provides the dated
 * pricing table. Without a Pricing service, local models cost $0 and every other model is priced
 * as unknown (`null`) — never a silent $0.
 */
import { Context, Effect, Option } from "effect"
import type { Usage } from "./Usage.js"

export interface Service {
  /** Cost in USD, or `null` when the model's price is unknown. */
  readonly price: (provider: string, model: string, usage: Usage) => number | null
  /** The date of the prices, for reports. */
  readonly asOf?: string
}

export class Pricing extends Context.Tag("@aixfx/core/Pricing")<Pricing, Service>() {}

/** Providers whose calls cost nothing (the offline model, scripted and replayed models). */
export const FREE_PROVIDERS: ReadonlySet<string> = new Set(["local", "scripted", "replay"])

export const fallback: Service = {
  price: (provider) => (FREE_PROVIDERS.has(provider) ? 0 : null)
}

/** The Pricing in the context, or the fallback. */
export const current: Effect.Effect<Service> = Effect.map(Effect.serviceOption(Pricing), Option.getOrElse(() => fallback))
