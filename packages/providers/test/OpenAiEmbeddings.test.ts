import { AuthenticationFailed, CostLedger, MalformedOutput } from "@aixfx/core"
import { OpenAiEmbeddings, PricingTable } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as FakeServer from "./fakeServer.js"
import { SECRET } from "./support.js"

const embeddingsBody = (vectors: ReadonlyArray<ReadonlyArray<number>>, promptTokens: number) => ({
  object: "list",
  model: "text-embedding-3-small",
  // out of order on purpose: the index decides
  data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })).reverse(),
  usage: { prompt_tokens: promptTokens, total_tokens: promptTokens }
})

describe("OpenAiEmbeddings", () => {
  it.scoped("embeds a batch in order, with shortened dimensions, and records the cost", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ json: embeddingsBody([[1, 0, 0], [0, 1, 0]], 1_000_000) })
      const embedder = yield* OpenAiEmbeddings.make({ apiKey: Redacted.make(SECRET), baseURL: `${server.url}/v1`, dimensions: 3 })
      assert.strictEqual(embedder.name, "openai:text-embedding-3-small@3")
      const vectors = yield* embedder.embed(["first", "second"])
      assert.deepStrictEqual(vectors.map((v) => [...v]), [[1, 0, 0], [0, 1, 0]])
      assert.instanceOf(vectors[0], Float32Array)
      assert.deepStrictEqual(server.requests[0]!.body, { model: "text-embedding-3-small", input: ["first", "second"], encoding_format: "float", dimensions: 3 })
      const [entry] = yield* CostLedger.entries
      assert.closeTo(entry!.costUsd!, 0.02, 1e-12)
      assert.deepStrictEqual(yield* embedder.embed([]), [])
    }).pipe(Effect.provide(Layer.merge(CostLedger.layer, PricingTable.layer()))))

  it.scoped("wrong dimensions are MalformedOutput; 401 is AuthenticationFailed; both are in the ledger", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ json: embeddingsBody([[1, 0]], 5) }, { status: 401, json: { error: { message: "bad key" } } })
      const embedder = yield* OpenAiEmbeddings.make({ apiKey: Redacted.make(SECRET), baseURL: `${server.url}/v1`, dimensions: 3 })
      assert.instanceOf(yield* Effect.flip(embedder.embed(["x"])), MalformedOutput)
      assert.instanceOf(yield* Effect.flip(embedder.embed(["x"])), AuthenticationFailed)
      const entries = yield* CostLedger.entries
      assert.deepStrictEqual(entries.map((e) => [e.error, e.usage.inputTokens]), [["MalformedOutput", 5], ["AuthenticationFailed", 0]])
      assert.deepStrictEqual(entries.map((e) => e.costUsd), [0.02 * 5 / 1e6, 0])
    }).pipe(Effect.provide(Layer.merge(CostLedger.layer, PricingTable.layer()))))

  it.effect("a model of unknown dimensions is refused up front", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(OpenAiEmbeddings.make({ model: "nomic-embed-text", provider: "ollama" }))
      assert.include(error.message, 'dimensions of model "nomic-embed-text" are not known')
    }))
})
