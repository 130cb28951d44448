/**
 * `withCostTracking`: prices every call of a `LanguageModel` with the pricing table (the maintained
 * catalogue plus your prices and aliases), and warns once per model it cannot price.
 *
 * What is recorded and where is `LanguageModel.make`'s job, shared by every provider: the `chat`
 * span attributes (`gen_ai.usage.*`, `gen_ai.usage.cost`, Langfuse usage/cost details) and the
 * `CostLedger` entry at the end of each call or stream, attributed to the calling run, agent and
 * pattern path. This layer supplies the prices. The ledger is yours to provide, once, at the top
 * (`CostLedger.layer`), so every model, pattern and budget shares the same one; without it calls
 * are still priced on their spans.
 */
import * as LanguageModel from "@aixfx/core/LanguageModel"
import * as Pricing from "@aixfx/core/Pricing"
import { Context, Effect, Layer, Stream } from "effect"
import * as PricingTable from "./PricingTable.js"

export type Options = PricingTable.Options

/**
 * Decorates the `LanguageModel` below it and also provides the `Pricing` it uses (budgets read it).
 * An unknown model is priced `null` (counted as unpriced in the ledger) and warned about once.
 */
export const withCostTracking = (
  options: Options = {}
): Layer.Layer<LanguageModel.LanguageModel | Pricing.Pricing, never, LanguageModel.LanguageModel> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const inner = yield* LanguageModel.LanguageModel
      const table = PricingTable.make(options)
      const warned = new Set<string>()
      const warnIfUnpriced = (provider: string, model: string) =>
        Effect.suspend(() => {
          const key = `${provider}:${model}`
          if (warned.has(key) || table.resolve(provider, model)._tag !== "Unpriced") return Effect.void
          warned.add(key)
          return Effect.logWarning(
            `No price for model "${model}" of provider "${provider}" (prices as of ${PricingTable.asOf}, no other model's rate is used); ` +
              `its calls are recorded as unpriced. Add it with withCostTracking({ prices: { "${provider}": { "${model}": { input, output } } } }) ` +
              `(USD per 1M tokens), or name the model it is with { aliases: { "${model}": "<priced model>" } }.`
          )
        })
      const decorated: LanguageModel.Service = {
        ...inner,
        generate: (request) =>
          inner.generate(request).pipe(
            Effect.tap((response) => warnIfUnpriced(response.provider, response.model)),
            Effect.provideService(Pricing.Pricing, table)
          ),
        stream: (request) =>
          inner.stream(request).pipe(
            Stream.tap((part) => (part._tag === "Finish" ? warnIfUnpriced(part.provider, part.model) : Effect.void)),
            Stream.provideService(Pricing.Pricing, table)
          )
      }
      return Context.make(LanguageModel.LanguageModel, decorated).pipe(Context.add(Pricing.Pricing, table))
    })
  )
