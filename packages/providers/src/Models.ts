/**
 * Model names to provider layers: `openai:gpt-4o-mini`, `anthropic:claude-sonnet-4-5`,
 * `ollama:llama3.1`, `vllm:…`, `lmstudio:…`, `local:` (the offline model). A bare name is
 * recognised by its family (`gpt-…`, `o3…`, `claude-…`). Keys and base URLs come from the
 * environment (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `OLLAMA_BASE_URL`, …).
 *
 * `router` is one `LanguageModel` serving every provider: a request whose `model` is a qualified
 * name goes to that provider, so `Agent.llm({ model: "anthropic:claude-haiku-4-5" })` picks its own.
 */
import * as LanguageModel from "@aixfx/core/LanguageModel"
import * as LocalHeuristicModel from "@aixfx/core/LocalHeuristicModel"
import { AuthenticationFailed, type LlmError } from "@aixfx/core/AgentError"
import { type ConfigError, Data, Effect, Either, Layer, Option, Ref, Stream } from "effect"
import * as Anthropic from "./Anthropic.js"
import * as OpenAi from "./OpenAi.js"

/** OpenAI-compatible servers run locally, with where they listen by default. */
export const SELF_HOSTED: Readonly<Record<string, { readonly env: string; readonly baseURL: string }>> = {
  ollama: { env: "OLLAMA_BASE_URL", baseURL: "http://127.0.0.1:11434/v1" },
  vllm: { env: "VLLM_BASE_URL", baseURL: "http://127.0.0.1:8000/v1" },
  lmstudio: { env: "LMSTUDIO_BASE_URL", baseURL: "http://127.0.0.1:1234/v1" }
}

export const PROVIDERS: ReadonlyArray<string> = ["openai", "anthropic", ...Object.keys(SELF_HOSTED), "local"]

export class UnknownModelName extends Data.TaggedError("UnknownModelName")<{ readonly name: string; readonly message: string }> {}

export interface ModelName {
  readonly provider: string
  readonly model: string
}

/** `provider:model`, or a bare model name recognised by its family. */
export const parse = (name: string): Either.Either<ModelName, UnknownModelName> => {
  const colon = name.indexOf(":")
  const [provider, model] = colon > 0 ? [name.slice(0, colon), name.slice(colon + 1)] : [familyOf(name), name]
  if (provider !== undefined && PROVIDERS.includes(provider) && (model.length > 0 || provider === "local")) {
    return Either.right({ provider, model: model.length > 0 ? model : LocalHeuristicModel.MODEL })
  }
  return Either.left(
    new UnknownModelName({
      name,
      message: `Unknown model name "${name}": use provider:model with a provider among ${PROVIDERS.join(", ")} (e.g. openai:gpt-4o-mini, anthropic:claude-haiku-4-5, ollama:llama3.1)`
    })
  )
}

const familyOf = (model: string): string | undefined =>
  /^(gpt-|o\d|chatgpt-|text-embedding-)/.test(model) ? "openai" : model.startsWith("claude-") ? "anthropic" : undefined

const selfHosted = (provider: string, model: string) =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const { env, baseURL } = SELF_HOSTED[provider]!
      return OpenAi.layer({ provider, model, baseURL: process.env[env] ?? baseURL })
    })
  )

const layerFor = ({ provider, model }: ModelName): Layer.Layer<LanguageModel.LanguageModel, ConfigError.ConfigError> =>
  provider === "openai"
    ? OpenAi.layerConfig({ model })
    : provider === "anthropic"
      ? Anthropic.layerConfig({ model })
      : provider === "local"
        ? LocalHeuristicModel.layer()
        : selfHosted(provider, model)

/** The provider layer for a model name, its key and base URL read from the environment. */
export const layer = (name: string): Layer.Layer<LanguageModel.LanguageModel, ConfigError.ConfigError | UnknownModelName> =>
  Either.match(parse(name), { onLeft: Layer.fail, onRight: layerFor })

/**
 * One model for every provider: qualified request models go to their provider (built on first
 * use from the environment); others go to `defaultModel`'s provider.
 */
export const router = (defaultModel: string): Layer.Layer<LanguageModel.LanguageModel, UnknownModelName> =>
  Layer.effect(
    LanguageModel.LanguageModel,
    Effect.gen(function* () {
      const fallback = yield* parse(defaultModel)
      const built = yield* Ref.make(new Map<string, LanguageModel.Service>())
      const serviceFor = (provider: string): Effect.Effect<LanguageModel.Service, LlmError> =>
        Effect.flatMap(Ref.get(built), (cache) =>
          Option.match(Option.fromNullable(cache.get(provider)), {
            onSome: Effect.succeed,
            onNone: () =>
              LanguageModel.LanguageModel.pipe(
                Effect.provide(layerFor({ provider, model: provider === fallback.provider ? fallback.model : "" })),
                Effect.mapError(
                  (error) => new AuthenticationFailed({ provider, message: `Cannot use provider "${provider}": ${error.message}` })
                ),
                Effect.tap((service) => Ref.update(built, (m) => new Map(m).set(provider, service)))
              )
          })
        )
      const route = (request: LanguageModel.GenerateRequest) => {
        const target = request.model === undefined ? Either.right(fallback) : parse(request.model)
        const { provider, model } = Either.getOrElse(target, () => ({ provider: fallback.provider, model: request.model! }))
        return Effect.map(serviceFor(provider), (service) => ({ service, request: { ...request, model } }))
      }
      return {
        provider: fallback.provider,
        defaultModel: fallback.model,
        generate: (request) => Effect.flatMap(route(request), (r) => r.service.generate(r.request)),
        stream: (request) => Stream.unwrap(Effect.map(route(request), (r) => r.service.stream(r.request)))
      }
    })
  )
