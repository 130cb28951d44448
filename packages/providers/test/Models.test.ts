import { CostLedger, LanguageModel } from "@aixfx/core"
import { Models, PricingTable } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer } from "effect"

/** No keys, whatever the environment holds: these tests must never reach a real provider. */
const noKeys = Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
import * as FakeServer from "./fakeServer.js"

describe("Models", () => {
  it("parses provider:model names and recognises bare names by family", () => {
    assert.deepStrictEqual(Models.parse("openai:gpt-4o-mini"), Either.right({ provider: "openai", model: "gpt-4o-mini" }))
    assert.deepStrictEqual(Models.parse("anthropic:claude-haiku-4-5"), Either.right({ provider: "anthropic", model: "claude-haiku-4-5" }))
    assert.deepStrictEqual(Models.parse("ollama:llama3.1:8b"), Either.right({ provider: "ollama", model: "llama3.1:8b" }))
    assert.deepStrictEqual(Models.parse("claude-sonnet-4-5"), Either.right({ provider: "anthropic", model: "claude-sonnet-4-5" }))
    assert.deepStrictEqual(Models.parse("o4-mini"), Either.right({ provider: "openai", model: "o4-mini" }))
    assert.deepStrictEqual(Models.parse("local:"), Either.right({ provider: "local", model: "local-heuristic-1" }))
    const unknown = Models.parse("mistral:large")
    assert(Either.isLeft(unknown))
    assert.include(unknown.left.message, 'Unknown model name "mistral:large"')
  })

  it.effect("a missing key is a configuration error naming the variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(LanguageModel.LanguageModel.pipe(Effect.provide(Models.layer("anthropic:claude-haiku-4-5")), noKeys))
      assert.include(String(error), "ANTHROPIC_API_KEY")
    }))

  it.scoped("ollama:<model> talks to OLLAMA_BASE_URL as an OpenAI-compatible endpoint at $0", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ json: FakeServer.openAiCompletion({ text: "hi from llama", model: "llama3.1" }) })
      const previous = process.env["OLLAMA_BASE_URL"]
      process.env["OLLAMA_BASE_URL"] = `${server.url}/v1`
      yield* Effect.addFinalizer(() => Effect.sync(() => (previous === undefined ? delete process.env["OLLAMA_BASE_URL"] : (process.env["OLLAMA_BASE_URL"] = previous))))
      const response = yield* LanguageModel.generate({ messages: [{ role: "user", content: "hi" }] }).pipe(Effect.provide(Models.layer("ollama:llama3.1")))
      assert.strictEqual(response.text, "hi from llama")
      assert.strictEqual(server.requests[0]!.body.model, "llama3.1")
      const [entry] = yield* CostLedger.entries
      assert.strictEqual(entry!.costUsd, 0)
    }).pipe(Effect.provide(Layer.merge(CostLedger.layer, PricingTable.layer()))))

  it.effect("the router sends a qualified request model to its provider, others to the default", () =>
    Effect.gen(function* () {
      const local = yield* LanguageModel.generate({ messages: [{ role: "user", content: "Paris is in France. Where is Paris?" }] })
      assert.strictEqual(local.provider, "local")
      const explicit = yield* LanguageModel.generate({ messages: [{ role: "user", content: "hi" }], model: "local:" })
      assert.strictEqual(explicit.model, "local-heuristic-1")
      const missingKey = yield* Effect.flip(LanguageModel.generate({ messages: [{ role: "user", content: "hi" }], model: "anthropic:claude-haiku-4-5" }))
      assert.strictEqual(missingKey._tag, "AuthenticationFailed")
      assert.include(missingKey.message, 'Cannot use provider "anthropic"')
    }).pipe(Effect.provide(Models.router("local:")), noKeys))
})
