import { CostLedger, type LanguageModel, type Pricing } from "@aixfx/core"
import { PricingTable } from "@aixfx/providers"
import { Clock, Effect, Layer, TestClock } from "effect"

export const SECRET = "sk-test-0123456789abcdefSECRET"

/** A real pause, so the HTTP exchange and the fiber can make progress under TestClock. */
export const realPause = (ms = 10) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * Moves the TestClock a second at a time until `condition` holds (a retry's sleep may start only
 * after the failing reply arrives); returns the virtual time that passed.
 */
export const advanceUntil = (condition: () => boolean) =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    for (let i = 0; i < 120 && !condition(); i++) {
      yield* realPause()
      if (condition()) break
      yield* TestClock.adjust("1 second")
    }
    return (yield* Clock.currentTimeMillis) - start
  })

export const user = (content: string): LanguageModel.GenerateRequest => ({ messages: [{ role: "user", content }] })

/** A fresh ledger and the built-in pricing table. */
export const ledgerAndPricing: Layer.Layer<CostLedger.CostLedger | Pricing.Pricing> = Layer.merge(CostLedger.layer, PricingTable.layer())
