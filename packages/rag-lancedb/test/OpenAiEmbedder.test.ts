import { makeTempDir } from "./tempDir.js"
import { Ingest, LanceDbStore, Loader, OpenAiEmbedder } from "@aixfx/rag-lancedb"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"

const root = makeTempDir("openai-embedder")

/**
 * A local stand-in for `/v1/embeddings` on 127.0.0.1: each text becomes a 4-d vector of its counts of
 * a, e, i and o (so texts with similar letters are close); `failWith` makes it answer an error status.
 */
const embeddingsServer = (failWith?: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly requests: Array<ReadonlyArray<string>>; readonly close: () => void }>((resume) => {
      const requests: Array<ReadonlyArray<string>> = []
      const server = createServer((req, res) => {
        let body = ""
        req.on("data", (chunk) => (body += chunk))
        req.on("end", () => {
          res.setHeader("content-type", "application/json")
          if (failWith !== undefined) {
            res.statusCode = failWith
            res.end(JSON.stringify({ error: { message: "invalid api key" } }))
            return
          }
          const input = (JSON.parse(body) as { input: ReadonlyArray<string> }).input
          requests.push(input)
          const data = input.map((text, index) => ({ object: "embedding", index, embedding: [..."aeio"].map((c) => text.split(c).length) }))
          res.end(JSON.stringify({ object: "list", model: "text-embedding-3-small", data, usage: { prompt_tokens: input.length, total_tokens: input.length } }))
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests, close: () => server.close() }))
      )
    }),
    (server) => Effect.sync(() => server.close())
  )

describe("OpenAiEmbedder (through @aixfx/providers)", () => {
  it.scoped("embeds chunks in batches of batchSize and the store searches with it", () =>
    Effect.gen(function* () {
      const server = yield* embeddingsServer()
      const embedder = OpenAiEmbedder.layer({ apiKey: Redacted.make("sk-test"), baseURL: server.url, dimensions: 4, batchSize: 2, retry: { times: 0 } })
      const store = LanceDbStore.layer({ uri: join(root, "db"), table: "openai" }).pipe(Layer.provide(embedder))
      const summary = yield* Effect.gen(function* () {
        const s = yield* LanceDbStore.LanceDbStore
        assert.strictEqual(s.embedder.name, "openai:text-embedding-3-small@4")
        const result = yield* Ingest.run(["alpha", "beta", "gamma"].map((word) => Loader.fromString(`${word}.txt`, `${word} ${word}`)))
        const top = yield* s.search("alpha alpha", { mode: "vector", topK: 1 })
        assert.strictEqual(top[0]?.source, "alpha.txt")
        return result
      }).pipe(Effect.provide(store))
      assert.strictEqual(summary.chunksWritten, 3)
      // Three chunks in batches of two, then the query.
      assert.deepStrictEqual(server.requests.map((r) => r.length), [2, 1, 1])
    })
  )

  it.scoped("a provider failure is EmbeddingFailed naming the embedder and the provider's error", () =>
    Effect.gen(function* () {
      const server = yield* embeddingsServer(401)
      const store = LanceDbStore.layer({ uri: join(root, "db"), table: "denied" }).pipe(
        Layer.provide(OpenAiEmbedder.layer({ apiKey: Redacted.make("sk-bad"), baseURL: server.url, dimensions: 4 }))
      )
      const error = yield* Effect.flip(Ingest.run([Loader.fromString("a.txt", "some text")]).pipe(Effect.provide(store)))
      assert.strictEqual(error._tag, "EmbeddingFailed")
      assert.include(error.message, "openai:text-embedding-3-small@4")
      assert.include(error.message, "AuthenticationFailed")
    })
  )
})
