/**
 * OpenAI embeddings (or any OpenAI-compatible endpoint) as the `Embedder`, through
 * `@aixfx/providers`' `OpenAiEmbeddings`: calls are traced, retried, timed out and recorded in the
 * `CostLedger` there; here its typed LLM errors become `EmbeddingFailed` naming the embedder.
 */
import { OpenAiEmbeddings } from "@aixfx/providers"
import { Effect, Layer } from "effect"
import { Embedder, type Service } from "./Embedder.js"
import { EmbeddingFailed } from "./RagError.js"

/** The provider's embeddings service seen as an `Embedder`. */
export const fromService = (service: OpenAiEmbeddings.Service): Service => ({
  name: service.name,
  dimensions: service.dimensions,
  batchSize: service.batchSize,
  embed: (texts) => service.embed(texts).pipe(Effect.mapError((error) => EmbeddingFailed.of(service.name, `${error._tag}: ${error.message}`)))
})

/** With explicit options (API key, base URL, model, dimensions, ...). */
export const layer = (options: OpenAiEmbeddings.Options = {}) => Layer.effect(Embedder, Effect.map(OpenAiEmbeddings.make(options), fromService))

/** Reads `OPENAI_API_KEY` (and optional `OPENAI_BASE_URL`) from the environment. */
export const layerConfig = (options: Omit<OpenAiEmbeddings.Options, "apiKey" | "baseURL"> = {}) =>
  Layer.effect(Embedder, Effect.map(OpenAiEmbeddings.OpenAiEmbeddings, fromService)).pipe(Layer.provide(OpenAiEmbeddings.layerConfig(options)))
