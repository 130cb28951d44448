/**
 * Retrieval quality on a small fixed corpus (an invented staff handbook) with labelled questions: the
 * right chunk is the section that answers the question. The questions paraphrase the text rather
 * than quote it. Hybrid search must put the right chunk in the top 3 for most of them.
 */
import { makeTempDir } from "./tempDir.js"
import { Chunker, HashingEmbedder, Ingest, LanceDbStore, Loader } from "@aixfx/rag-lancedb"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url))
const questions = JSON.parse(readFileSync(join(fixtures, "questions.json"), "utf8")) as ReadonlyArray<{
  readonly question: string
  readonly source: string
  readonly heading: string
}>
const root = makeTempDir("quality")
const chunking = { maxTokens: 96, overlapTokens: 16 }

describe("retrieval quality (handbook corpus, labelled questions)", () => {
  it.effect("hybrid search ranks the answering chunk in the top 3 for most questions", () =>
    Effect.gen(function* () {
      const loaded = yield* Loader.fromDirectory(join(fixtures, "handbook"), { root: fixtures })
      const idf = HashingEmbedder.fit(loaded.documents.flatMap((d) => Chunker.chunk(d.text, chunking).map((c) => c.text)))
      const layer = LanceDbStore.layer({ uri: join(root, "db"), table: "handbook" }).pipe(Layer.provide(HashingEmbedder.layer({ idf })))
      const hitRates = yield* Effect.gen(function* () {
        yield* Ingest.run(loaded, chunking)
        const store = yield* LanceDbStore.LanceDbStore
        const rates: Record<string, { readonly at1: number; readonly at3: number }> = {}
        for (const mode of ["vector", "fts", "hybrid"] as const) {
          let at1 = 0
          let at3 = 0
          for (const q of questions) {
            const top = yield* store.search(q.question, { mode, topK: 3 })
            const rank = top.findIndex((r) => r.source === q.source && r.heading === q.heading)
            if (rank === 0) at1++
            if (rank >= 0) at3++
          }
          rates[mode] = { at1: at1 / questions.length, at3: at3 / questions.length }
        }
        return rates
      }).pipe(Effect.provide(layer), Effect.scoped)
      const percent = (rate: number) => `${(rate * 100).toFixed(0)}%`
      console.log(
        `hit rate over ${questions.length} questions (top 1 / top 3): ` +
          Object.entries(hitRates).map(([mode, rate]) => `${mode} ${percent(rate.at1)} / ${percent(rate.at3)}`).join(", ")
      )
      assert.isAtLeast(hitRates["hybrid"]!.at3, 0.75)
    })
  )
})
