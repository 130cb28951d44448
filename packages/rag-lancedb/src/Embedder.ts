/**
 * The service that turns text into vectors. The store embeds queries with it and ingestion embeds
 * chunks with it, so one table is always read and written with the same embedder.
 */
import { Context, Effect } from "effect"
import type { EmbeddingFailed } from "./RagError.js"

export interface Service {
  /** Recorded in errors and docs; say what the vectors are (e.g. "hashing-tfidf-512"). */
  readonly name: string
  readonly dimensions: number
  /** How many texts one `embed` call should carry (ingestion batches by it). */
  readonly batchSize: number
  /** One vector per text, in order, each `dimensions` long. */
  readonly embed: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Float32Array>, EmbeddingFailed>
}

export class Embedder extends Context.Tag("@aixfx/rag-lancedb/Embedder")<Embedder, Service>() {}

/** Embeds any number of texts in `embedder.batchSize` batches, one batch at a time. */
export const embedAll = (embedder: Service, texts: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Float32Array>, EmbeddingFailed> =>
  Effect.gen(function* () {
    const out: Array<Float32Array> = []
    for (let start = 0; start < texts.length; start += embedder.batchSize) {
      out.push(...(yield* embedder.embed(texts.slice(start, start + embedder.batchSize))))
    }
    return out
  })
