/**
 * OpenAI chat completions on the official `openai` SDK, as a `LanguageModel` layer: tools,
 * structured output (`response_format: json_schema` from an Effect Schema), streaming with
 * `stream_options.include_usage`. Also any OpenAI-compatible endpoint (Ollama, vLLM, LM Studio)
 * through `baseURL` and a `provider` name, which the pricing table bills at $0 unless priced.
 *
 * The SDK's own retries are off; retries, timeouts and aborting on interruption are Effect's
 * (see `RetryOptions`). The key comes from `Config.redacted` and never reaches an error or a span.
 */
import * as LanguageModel from "@aixfx/core/LanguageModel"
import * as Usage from "@aixfx/core/Usage"
import { type LlmError, MalformedOutput } from "@aixfx/core/AgentError"
import { Duration, Effect, Layer, Option, type Redacted, Stream } from "effect"
import OpenAI from "openai"
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam
} from "openai/resources/chat/completions"
import { openAiClient } from "./internal/openai.js"
import { finishPart, layerFromEnv, request, idFields, type RetryOptions, streamParts, toLlmError } from "./internal/sdk.js"
import { toolParameters } from "./internal/schema.js"

export type { RetryOptions } from "./internal/sdk.js"

export const DEFAULT_MODEL = "gpt-4o-mini"

export interface Options {
  /** Required by api.openai.com; self-hosted endpoints usually take none. */
  readonly apiKey?: Redacted.Redacted
  /** The API root including `/v1`, e.g. `http://127.0.0.1:11434/v1` for Ollama. */
  readonly baseURL?: string
  readonly model?: string
  /** The provider name in spans, the ledger and the pricing table (default "openai"). */
  readonly provider?: string
  /** Per attempt (default 60 s); for streams, also the longest wait between two chunks. */
  readonly timeout?: Duration.DurationInput
  readonly retry?: RetryOptions
  readonly organization?: string
}

type Request = LanguageModel.GenerateRequest & { readonly model: string }

const toMessages = (messages: ReadonlyArray<LanguageModel.ChatMessage>): Array<ChatCompletionMessageParam> =>
  messages.map((m): ChatCompletionMessageParam => {
    switch (m.role) {
      case "assistant":
        return {
          role: "assistant",
          content: m.content,
          ...(m.toolCalls === undefined || m.toolCalls.length === 0
            ? {}
            : { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) })
        }
      case "tool":
        return { role: "tool", tool_call_id: m.toolCallId, content: m.content }
      default:
        return { role: m.role, content: m.content }
    }
  })

const toParams = (provider: string, r: Request): ChatCompletionCreateParamsBase => ({
  model: r.model,
  messages: toMessages(r.messages),
  ...(r.temperature === undefined ? {} : { temperature: r.temperature }),
  // OpenAI's reasoning models only take max_completion_tokens; compatible servers know max_tokens.
  ...(r.maxTokens === undefined ? {} : provider === "openai" ? { max_completion_tokens: r.maxTokens } : { max_tokens: r.maxTokens }),
  ...(r.stop === undefined ? {} : { stop: [...r.stop] }),
  ...(r.tools === undefined || r.tools.length === 0
    ? {}
    : {
      tools: r.tools.map((t) => ({
        type: "function" as const,
        function: { name: t.name, description: t.description, parameters: toolParameters(t.parameters) }
      }))
    }),
  ...(r.toolChoice === undefined
    ? {}
    : { tool_choice: typeof r.toolChoice === "string" ? r.toolChoice : { type: "function", function: { name: r.toolChoice.name } } }),
  ...(r.responseSchema === undefined
    ? {}
    : { response_format: { type: "json_schema", json_schema: { name: "response", schema: toolParameters(r.responseSchema), strict: false } } })
})

const finishReason = (reason: string | null | undefined): LanguageModel.FinishReason => {
  switch (reason) {
    case "stop":
    case "length":
    case "tool_calls":
    case "content_filter":
      return reason
    case "function_call":
      return "tool_calls"
    default:
      return "unknown"
  }
}

const toUsage = (usage: ChatCompletion["usage"] | null | undefined): Usage.Usage =>
  usage == null
    ? Usage.empty
    : Usage.make({
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
      cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
      reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0
    })

export const make = (options: Options = {}): LanguageModel.Service => {
  const { settings, client } = openAiClient(options)
  const provider = settings.provider
  const errorsFor = (model: string) => toLlmError(OpenAI, settings, model)

  const generate = (r: Request): Effect.Effect<LanguageModel.GenerateResponse, LlmError> =>
    Effect.scoped(
      request(settings, errorsFor(r.model), r.model, (signal) =>
        client.chat.completions.create({ ...toParams(provider, r), stream: false }, { signal }).withResponse()
      )
    ).pipe(
      Effect.flatMap(({ data, request_id }) => {
        const choice = data.choices?.[0]
        if (choice === undefined) {
          return Effect.fail(
            new MalformedOutput({
              provider,
              model: r.model,
              output: JSON.stringify(data).slice(0, 500),
              message: `${settings.label} ${r.model}: the response has no choices`
            })
          )
        }
        return Effect.succeed<LanguageModel.GenerateResponse>({
          text: choice.message.content ?? choice.message.refusal ?? "",
          toolCalls: (choice.message.tool_calls ?? []).flatMap((c) =>
            c.type === "function" ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : []
          ),
          finishReason: finishReason(choice.finish_reason),
          provider,
          model: data.model ?? r.model,
          usage: toUsage(data.usage),
          ...idFields(request_id, data.id)
        })
      })
    )

  const stream = (r: Request): Stream.Stream<LanguageModel.StreamPart, LlmError> =>
    Stream.unwrapScoped(
      Effect.map(
        request(settings, errorsFor(r.model), r.model, (signal) =>
          client.chat.completions
            .create({ ...toParams(provider, r), stream: true, stream_options: { include_usage: true } }, { signal })
            .withResponse()
        ),
        ({ data }) => {
          // What arrived so far: a cut stream still reports (and records) it.
          let text = ""
          let model = r.model
          let responseId: string | undefined
          let reason: LanguageModel.FinishReason = "unknown"
          let usage: Option.Option<Usage.Usage> = Option.none()
          const calls = new Map<number, { id: string; name: string; arguments: string }>()
          const finish = (finishReason: LanguageModel.FinishReason) => finishPart(provider, model, finishReason, usage, r, text, responseId)
          const onChunk = (chunk: ChatCompletionChunk): ReadonlyArray<LanguageModel.StreamPart> => {
            if (chunk.model) model = chunk.model
            if (chunk.id) responseId = chunk.id
            if (chunk.usage) usage = Option.some(toUsage(chunk.usage))
            const choice = chunk.choices[0]
            if (choice === undefined) return []
            if (choice.finish_reason) reason = finishReason(choice.finish_reason)
            for (const delta of choice.delta.tool_calls ?? []) {
              const call = calls.get(delta.index) ?? { id: "", name: "", arguments: "" }
              calls.set(delta.index, {
                id: delta.id ?? call.id,
                name: call.name + (delta.function?.name ?? ""),
                arguments: call.arguments + (delta.function?.arguments ?? "")
              })
            }
            const piece = choice.delta.content ?? ""
            text += piece
            return piece.length > 0 ? [{ _tag: "TextDelta", text: piece }] : []
          }
          return streamParts(
            settings,
            errorsFor(r.model),
            () => new OpenAI.APIConnectionTimeoutError({ message: `no chunk within ${Duration.format(settings.timeout)}` }),
            data,
            {
              onItem: onChunk,
              end: () => [...[...calls.values()].map((toolCall) => ({ _tag: "ToolCall", toolCall }) as const), finish(reason)],
              partial: () => finish("error")
            }
          )
        }
      )
    )

  return LanguageModel.make({ provider, defaultModel: options.model ?? DEFAULT_MODEL, generate, stream })
}

export const layer = (options: Options = {}): Layer.Layer<LanguageModel.LanguageModel> =>
  Layer.sync(LanguageModel.LanguageModel, () => make(options))

/** Reads `OPENAI_API_KEY` (redacted) and optional `OPENAI_BASE_URL` from the environment. */
export const layerConfig = (options: Omit<Options, "apiKey" | "baseURL"> = {}) => layerFromEnv("OPENAI", layer, options)
