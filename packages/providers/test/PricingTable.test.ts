import { CostLedger, LanguageModel, Usage } from "@aixfx/core"
import { Prices, PricingTable, withCostTracking } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Ref } from "effect"

const table = PricingTable.make()
const usage = Usage.make({ inputTokens: 1_000_000, outputTokens: 1_000_000 })

describe("PricingTable", () => {
  it("prices input, output, cached input and cache writes at their own rates", () => {
    const price = { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 }
    // 1M prompt tokens of which 200k read from cache and 100k written to it, 10k output
    const u = Usage.make({ inputTokens: 1_000_000, cachedInputTokens: 200_000, cacheWriteTokens: 100_000, outputTokens: 10_000 })
    assert.closeTo(PricingTable.cost(price, u), 0.7 * 3 + 0.2 * 0.3 + 0.1 * 3.75 + 0.01 * 15, 1e-12)
    // no cache rates listed: those tokens are billed as plain input
    assert.closeTo(PricingTable.cost({ input: 10, output: 30 }, u), 1 * 10 + 0.01 * 30, 1e-12)
    // reasoning tokens are already part of the output tokens: not billed twice
    assert.strictEqual(PricingTable.cost({ input: 1, output: 2 }, Usage.make({ outputTokens: 1_000_000, reasoningTokens: 400_000 })), 2)
  })

  it("resolves exact names and listed snapshots only: a sibling or unknown snapshot is never priced at another model's rate", () => {
    assert.strictEqual(table.price("openai", "gpt-4o", usage), 2.5 + 10)
    assert.strictEqual(table.price("openai", "gpt-4o-mini", usage), 0.15 + 0.6, "gpt-4o-mini is not gpt-4o")
    assert.strictEqual(table.price("openai", "gpt-4o-2024-08-06", usage), 2.5 + 10, "OpenAI dated snapshot")
    assert.strictEqual(table.price("anthropic", "claude-sonnet-4-5-20250929", usage), 6 + 22.5, "1M prompt tokens: the long-context rates")
    assert.strictEqual(table.price("anthropic", "claude-sonnet-4-5-20250929", Usage.make({ inputTokens: 100_000, outputTokens: 100_000 })), 0.3 + 1.5)
    assert.strictEqual(table.price("anthropic", "claude-3-5-haiku-latest", usage), 0.8 + 4, "-latest alias")
    // Each of these was priced at a sibling's rate by prefix fallback.
    assert.strictEqual(table.price("openai", "gpt-4o-2024-05-13", usage), 5 + 15, "the first gpt-4o snapshot has its own, higher price")
    assert.strictEqual(table.price("openai", "gpt-5-pro", usage), 15 + 120)
    assert.strictEqual(table.price("openai", "o3-deep-research", usage), 10 + 40)
    assert.strictEqual(table.price("openai", "o4-mini-deep-research", usage), 2 + 8)
    assert.strictEqual(table.price("openai", "gpt-4-32k", usage), 60 + 120)
    assert.strictEqual(table.price("openai", "gpt-4-0125-preview", usage), 10 + 30)
    for (const [provider, model] of [["anthropic", "claude-opus-4-9"], ["anthropic", "claude-opus-4-5x"], ["openai", "gpt-4o-2025-01-01"]] as const) {
      assert.isNull(table.price(provider, model, usage), `${model} is unpriced`)
      assert.deepStrictEqual(table.resolve(provider, model), { _tag: "Unpriced" })
    }
    assert.deepInclude(table.resolve("openai", "gpt-4.1-nano-2025-04-14"), { _tag: "Priced", listedAs: "gpt-4.1-nano", source: "genai-prices" })
  })

  it("1-hour cache writes and cache reads at their own rates", () => {
    const written = Usage.make({ inputTokens: 100_000, cacheWriteTokens: 100_000, cacheWrite1hTokens: 40_000 })
    assert.closeTo(table.price("anthropic", "claude-sonnet-4-5", written)!, 0.06 * 3.75 + 0.04 * 6, 1e-12)
    assert.closeTo(table.price("anthropic", "claude-sonnet-4-5", Usage.make({ inputTokens: 100_000, cachedInputTokens: 90_000 }))!, 0.01 * 3 + 0.09 * 0.3, 1e-12)
    assert.closeTo(PricingTable.cost({ input: 3, output: 15, cacheWrite: 3.75, cacheWrite1h: 6 }, written), 0.06 * 3.75 + 0.04 * 6, 1e-12)
    const tiered = { input: 3, output: 15, longContext: { above: 200_000, price: { input: 6, output: 22.5 } } }
    assert.closeTo(PricingTable.cost(tiered, Usage.make({ inputTokens: 300_000, outputTokens: 1000 })), 0.3 * 6 + 0.001 * 22.5, 1e-12)
  })

  it("the prices are @pydantic/genai-prices' pinned release, dated", async () => {
    const { createRequire } = await import("node:module")
    const { readFileSync } = await import("node:fs")
    const entry = createRequire(import.meta.url).resolve("@pydantic/genai-prices")
    const installed = JSON.parse(readFileSync(new URL("../package.json", `file://${entry}`), "utf8")) as { version: string }
    assert.strictEqual(installed.version, Prices.CATALOGUE.version, "a new catalogue release needs its date in Prices.CATALOGUE")
    assert.strictEqual(PricingTable.asOf, Prices.CATALOGUE.publishedOn)
    assert.strictEqual(PricingTable.make().asOf, PricingTable.asOf)
  })

  it("unknown models are unknown (null), self-hosted and offline providers $0 unless priced", () => {
    assert.isNull(table.price("openai", "gpt-99-turbo", usage))
    assert.isNull(table.price("anthropic", "gpt-4o", usage), "prices are per provider")
    assert.isNull(table.price("acme", "gpt-4o", usage), "a provider the catalogue does not know")
    assert.strictEqual(table.price("azure", "gpt-4o", usage), 2.5 + 10, "one it knows")
    assert.strictEqual(table.price("ollama", "llama3.1", usage), 0)
    assert.strictEqual(table.price("scripted", "scripted-1", usage), 0)
    const priced = PricingTable.make({ prices: { ollama: { "llama3.1": { input: 0.1, output: 0.2 } } } })
    assert.closeTo(priced.price("ollama", "llama3.1", usage)!, 0.3, 1e-12)
  })

  it("users override and extend the table, with their own aliases", () => {
    const custom = PricingTable.make({
      prices: { openai: { "gpt-4o": { input: 1, output: 1 }, "ft:gpt-4o-mini:acme": { input: 0.3, output: 1.2 } } },
      aliases: { "house-model": "ft:gpt-4o-mini:acme", "gpt-4o-2025-01-01": "gpt-4o" }
    })
    assert.strictEqual(custom.price("openai", "gpt-4o", usage), 2, "override")
    assert.strictEqual(custom.price("openai", "gpt-4o-mini", usage), 0.15 + 0.6, "the rest of the table stays")
    assert.closeTo(custom.price("openai", "house-model", usage)!, 1.5, 1e-12)
    assert.strictEqual(custom.price("openai", "gpt-4o-2025-01-01", usage), 2, "a snapshot the catalogue does not list, named by you")
    assert.match(PricingTable.asOf, /^\d{4}-\d{2}-\d{2}$/)
  })
})

describe("withCostTracking", () => {
  it.effect("prices calls into the ledger and warns once per unknown model", () =>
    Effect.gen(function* () {
      const warnings = yield* Ref.make<ReadonlyArray<string>>([])
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") Effect.runSync(Ref.update(warnings, (w) => [...w, String(message)]))
      })
      // a provider answering like OpenAI, so the table (not the $0 rule) prices it
      const asOpenAi = Layer.succeed(
        LanguageModel.LanguageModel,
        LanguageModel.make({
          provider: "openai",
          defaultModel: "gpt-4o",
          generate: (r) =>
            Effect.succeed({
              text: "ok",
              toolCalls: [],
              finishReason: "stop",
              provider: "openai",
              model: r.model,
              usage: Usage.make({ inputTokens: 1_000_000 })
            })
        })
      )
      const program = Effect.gen(function* () {
        yield* LanguageModel.generate({ messages: [{ role: "user", content: "a" }] })
        yield* LanguageModel.generate({ messages: [{ role: "user", content: "b" }], model: "gpt-unknown" })
        yield* LanguageModel.generate({ messages: [{ role: "user", content: "c" }], model: "gpt-unknown" })
        return yield* CostLedger.entries
      })
      const entries = yield* program.pipe(
        Effect.provide(Layer.mergeAll(withCostTracking().pipe(Layer.provide(asOpenAi)), CostLedger.layer)),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      assert.deepStrictEqual(entries.map((e) => e.costUsd), [2.5, null, null])
      const logged = yield* Ref.get(warnings)
      assert.strictEqual(logged.length, 1)
      assert.include(logged[0], 'No price for model "gpt-unknown" of provider "openai"')
      assert.strictEqual(CostLedger.totals(entries).unpricedCalls, 2)
    }))
})
