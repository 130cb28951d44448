import { makeTempDir } from "./tempDir.js"
import { AgentRuntime, LocalRuntime, Message } from "@aixfx/core"
import { HashingEmbedder, Ingest, LanceDbStore, Loader, Retriever } from "@aixfx/rag-lancedb"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { join } from "node:path"

const root = makeTempDir("retriever")
const embedder = HashingEmbedder.layer({ dimensions: 128 })
const storeLayer = (table: string, create = true) =>
  LanceDbStore.layer({ uri: join(root, "db"), table, create }).pipe(Layer.provide(embedder))

const docs = [
  Loader.fromString("ships.md", "# Ships\n\n## Tankers\n\nTankers carry oil and liquefied gas across oceans.\n\n## Ferries\n\nFerries carry cars and passengers between islands.", { metadata: { topic: "sea" } }),
  Loader.fromString("trains.md", "# Trains\n\nFreight trains carry containers and coal inland.", { metadata: { topic: "land" } })
]

/** Registers a retriever over `table` in a LocalRuntime and calls it. */
const withRetriever = <A, E>(table: string, create: boolean, use: Effect.Effect<A, E, AgentRuntime.AgentRuntime>) =>
  Effect.gen(function* () {
    const store = yield* LanceDbStore.LanceDbStore
    if (create) yield* Ingest.run(docs)
    yield* AgentRuntime.register(Retriever.agent({ name: "docs", store, mode: "hybrid" }))
    return yield* use
  }).pipe(Effect.provide(Layer.merge(storeLayer(table, create), LocalRuntime.layer())), Effect.scoped)

/** The reply's documents, checked field by field (the contract's Schema lives in @aixfx/patterns). */
const documentsOf = (reply: Message.Message) => {
  const { documents } = JSON.parse(reply.payload) as { documents: ReadonlyArray<Retriever.RetrievedDocument> }
  for (const d of documents) {
    assert.deepStrictEqual([typeof d.id, typeof d.text, typeof d.score, typeof d.metadata], ["string", "string", "number", "object"])
  }
  return documents
}

const ask = (query: string, metadata: Message.MakeOptions["metadata"] = {}) =>
  AgentRuntime.call("docs", Message.make({ payload: query, metadata }))

describe("Retriever.agent", () => {
  it.effect("honours metadata.topK and replies with typed documents carrying source, heading and scores", () =>
    withRetriever(
      "ships",
      true,
      Effect.gen(function* () {
        const reply = yield* ask("what do ferries carry?", { topK: 2 })
        assert.strictEqual(reply.type, "json")
        const documents = documentsOf(reply)
        assert.strictEqual(documents.length, 2)
        assert.strictEqual(documents[0]!.metadata["source"], "ships.md")
        assert.strictEqual(documents[0]!.metadata["heading"], "Ships > Ferries")
        assert.strictEqual(documents[0]!.metadata["topic"], "sea")
        assert.isAbove(documents[0]!.score, documents[1]!.score)
        assert.strictEqual(documentsOf(yield* ask("carry", { topK: 1 })).length, 1)
      })
    )
  )

  it.effect("applies metadata.filter", () =>
    withRetriever(
      "ships2",
      true,
      Effect.gen(function* () {
        const documents = documentsOf(yield* ask("what carries containers or cars", { topK: 5, filter: { topic: "land" } }))
        assert.deepStrictEqual(documents.map((d) => d.metadata["source"]), ["trains.md"])
      })
    )
  )

  it.effect("fails with RetrievalFailed naming the retriever: bad topK, missing table", () =>
    Effect.gen(function* () {
      const badTopK = yield* withRetriever("ships3", true, Effect.flip(ask("ferries", { topK: -1 })))
      assert.strictEqual(badTopK._tag, "RetrievalFailed")
      if (badTopK._tag === "RetrievalFailed") assert.strictEqual(badTopK.retriever, "docs")
      const missing = yield* withRetriever("absent", false, Effect.flip(ask("ferries", { topK: 3 })))
      assert.strictEqual(missing._tag, "RetrievalFailed")
      assert.include(missing.message, "absent")
      assert.include(missing.message, "docs")
    })
  )
})
