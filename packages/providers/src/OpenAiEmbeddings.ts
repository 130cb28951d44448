/**
 * OpenAI embeddings (`/v1/embeddings`) on the official SDK, for retrieval. The service has the
 * shape of `@aixfx/rag-lancedb`'s `Embedder` (name, dimensions, batchSize, embed → Float32Array[])
 * but fails with core's typed LLM errors, so RAG maps them to its own error once. Each call is
 * traced (`embeddings <model>`), retried and timed out like chat calls, and recorded in the
 * `CostLedger` when one is provided.
 */
import * as CostLedger from "@aixfx/core/CostLedger"
import * as Usage from "@aixfx/core/Usage"
import { InvalidRequest, type LlmError, MalformedOutput } from "@aixfx/core/AgentError"
import { Clock, Context, Duration, Effect, Layer, type Redacted } from "effect"
import OpenAI from "openai"
import { openAiClient } from "./internal/openai.js"
import { layerFromEnv, request, type RetryOptions, toLlmError } from "./internal/sdk.js"

export const DEFAULT_MODEL = "text-embedding-3-small"

const NATIVE_DIMENSIONS: Readonly<Record<string, number>> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536
}

export interface Options {
  readonly apiKey?: Redacted.Redacted
  /** The API root including `/v1`; any OpenAI-compatible embeddings endpoint works. */
  readonly baseURL?: string
  readonly model?: string
  /** Shortened vectors (text-embedding-3 models); required for models not listed above. */
  readonly dimensions?: number
  /** Texts per request (default 256; the API takes up to 2048). */
  readonly batchSize?: number
  readonly provider?: string
  readonly timeout?: Duration.DurationInput
  readonly retry?: RetryOptions
}

export interface Service {
  /** e.g. "openai:text-embedding-3-small@1536" */
  readonly name: string
  readonly dimensions: number
  readonly batchSize: number
  /** One vector per text, in order. */
  readonly embed: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Float32Array>, LlmError>
}

export class OpenAiEmbeddings extends Context.Tag("@aixfx/providers/OpenAiEmbeddings")<OpenAiEmbeddings, Service>() {}

/** Fails when the model's dimensions are neither known nor given. */
export const make = (options: Options = {}): Effect.Effect<Service, InvalidRequest> => {
  const { settings, client } = openAiClient(options)
  const provider = settings.provider
  const model = options.model ?? DEFAULT_MODEL
  const dimensions = options.dimensions ?? NATIVE_DIMENSIONS[model]
  if (dimensions === undefined) {
    return Effect.fail(
      new InvalidRequest({ provider, model, message: `OpenAiEmbeddings: the dimensions of model "${model}" are not known; pass { dimensions }` })
    )
  }

  const embed = (texts: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Float32Array>, LlmError> =>
    Effect.gen(function* () {
      if (texts.length === 0) return []
      const startedAt = yield* Clock.currentTimeMillis
      const { data } = yield* Effect.scoped(
        request(settings, toLlmError(OpenAI, settings, model), model, (signal) =>
          client.embeddings
            .create({ model, input: [...texts], encoding_format: "float", ...(options.dimensions === undefined ? {} : { dimensions }) }, { signal })
            .withResponse()
        )
      ).pipe(
        // A failed request is in the ledger too, having used nothing (as a failed chat call is).
        Effect.tapError((error) => CostLedger.recordCall({ provider, model, usage: Usage.empty, startedAt, error: error._tag }))
      )
      const usage = Usage.make({ inputTokens: data.usage?.prompt_tokens ?? 0 })
      const vectors = [...data.data].sort((a, b) => a.index - b.index).map((d) => Float32Array.from(d.embedding))
      if (vectors.length !== texts.length || vectors.some((v) => v.length !== dimensions)) {
        const malformed = new MalformedOutput({
          provider,
          model,
          output: `${vectors.length} vectors of ${vectors.map((v) => v.length).join("/")} dimensions`,
          message: `${settings.label} ${model}: expected ${texts.length} vectors of ${dimensions} dimensions, got ${vectors.length}`
        })
        // The tokens were spent all the same.
        yield* CostLedger.recordCall({ provider, model, usage, startedAt, error: malformed._tag })
        return yield* Effect.fail(malformed)
      }
      const { costUsd } = yield* CostLedger.recordCall({ provider, model, usage, startedAt })
      yield* Effect.annotateCurrentSpan({
        "gen_ai.usage.input_tokens": usage.inputTokens,
        ...(costUsd === null ? { "aixfx.cost.unknown": true } : { "gen_ai.usage.cost": costUsd })
      })
      return vectors
    }).pipe(
      Effect.withSpan(`embeddings ${model}`, {
        kind: "client",
        attributes: { "gen_ai.operation.name": "embeddings", "gen_ai.provider.name": provider, "gen_ai.request.model": model }
      })
    )

  return Effect.succeed({ name: `${provider}:${model}@${dimensions}`, dimensions, batchSize: options.batchSize ?? 256, embed })
}

export const layer = (options: Options = {}): Layer.Layer<OpenAiEmbeddings, InvalidRequest> => Layer.effect(OpenAiEmbeddings, make(options))

/** Reads `OPENAI_API_KEY` (redacted) and optional `OPENAI_BASE_URL` from the environment. */
export const layerConfig = (options: Omit<Options, "apiKey" | "baseURL"> = {}) => layerFromEnv("OPENAI", layer, options)
