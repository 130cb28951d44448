import { HashingEmbedder } from "@aixfx/rag-lancedb"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0)

describe("HashingEmbedder", () => {
  it.effect("makes deterministic unit vectors of the configured size", () =>
    Effect.gen(function* () {
      const embedder = HashingEmbedder.make({ dimensions: 64 })
      const [a, b] = yield* embedder.embed(["the ferry leaves at noon", "the ferry leaves at noon"])
      assert.strictEqual(a!.length, 64)
      assert.closeTo(cosine(a!, a!), 1, 1e-5)
      assert.deepStrictEqual([...a!], [...b!])
      assert.strictEqual(embedder.name, "hashing-tf-64")
    })
  )

  it.effect("texts sharing words and word pairs are closer than unrelated ones", () =>
    Effect.gen(function* () {
      const [query, near, far] = yield* HashingEmbedder.make().embed([
        "rotate the database password",
        "how to rotate a database password safely",
        "the cafeteria opens at eight"
      ])
      assert.isAbove(cosine(query!, near!), 0.5)
      assert.isBelow(Math.abs(cosine(query!, far!)), 0.2)
    })
  )

  it.effect("fitted IDF weighs rare words above common ones", () =>
    Effect.gen(function* () {
      const corpus = Array.from({ length: 20 }, (_, i) => `report number ${i} about the quarterly report`).concat(["zebra crossing report"])
      const idf = HashingEmbedder.fit(corpus)
      assert.strictEqual(idf.documents, 21)
      assert.strictEqual(idf.frequencies.get("report"), 21)
      const texts = ["zebra report", "zebra crossing report", "quarterly report"]
      const [query, zebra, plain] = yield* HashingEmbedder.make({ idf }).embed(texts)
      const [rawQuery, rawZebra, rawPlain] = yield* HashingEmbedder.make().embed(texts)
      assert.match(HashingEmbedder.make({ idf }).name, /^hashing-tfidf-512-[0-9a-f]{8}$/)
      assert.notStrictEqual(HashingEmbedder.make({ idf: HashingEmbedder.fit(corpus.slice(1)) }).name, HashingEmbedder.make({ idf }).name)
      // With IDF the rare "zebra" decides; "report" (in every text) barely counts.
      const margin = cosine(query!, zebra!) - cosine(query!, plain!)
      assert.isAbove(margin, 0.2)
      assert.isAbove(margin, cosine(rawQuery!, rawZebra!) - cosine(rawQuery!, rawPlain!))
    })
  )
})
