/**
 * Anthropic messages on the official `@anthropic-ai/sdk`, as a `LanguageModel` layer: tool use,
 * streaming events, prompt-cache read/write tokens. Structured output is a forced tool call whose
 * input schema is the response schema (the Messages API has no JSON-schema response format).
 *
 * Usage follows the pricing table's convention: `inputTokens` is every prompt token, so Anthropic's
 * `input_tokens` plus its cache read and cache write tokens.
 */
import * as LanguageModel from "@aixfx/core/LanguageModel"
import * as Tokenizer from "@aixfx/core/Tokenizer"
import * as Usage from "@aixfx/core/Usage"
import { type LlmError } from "@aixfx/core/AgentError"
import Anthropic from "@anthropic-ai/sdk"
import type {
  ContentBlock,
  MessageCreateParamsBase,
  MessageParam,
  RawMessageStreamEvent,
  StopReason
} from "@anthropic-ai/sdk/resources/messages/messages"
import { Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import { type CallSettings, finishPart, layerFromEnv, request, idFields, retrySchedule, type RetryOptions, streamParts, toLlmError } from "./internal/sdk.js"
import { toolParameters } from "./internal/schema.js"

export const DEFAULT_MODEL = "claude-haiku-4-5"

/** The tool a structured-output request forces, whose input is the answer. */
export const RESPONSE_TOOL = "respond"

export interface Options {
  readonly apiKey: Redacted.Redacted
  /** The bare API root (no `/v1`). */
  readonly baseURL?: string
  readonly model?: string
  /** Sent when a request sets no `maxTokens` (the API requires one; default 4096). */
  readonly defaultMaxTokens?: number
  /** Per attempt (default 60 s); for streams, also the longest wait between two events. */
  readonly timeout?: Duration.DurationInput
  readonly retry?: RetryOptions
  /**
   * Prompt caching: marks the system prompt and/or the tools as a cacheable prefix
   * (`cache_control`), so repeated calls read it at the cache-read rate after one write. `ttl`
   * "1h" writes cost more than the default "5m" (both priced by the table). Off by default.
   */
  readonly cache?: CacheOptions
}

export interface CacheOptions {
  readonly system?: boolean
  readonly tools?: boolean
  readonly ttl?: "5m" | "1h"
}

type Request = LanguageModel.GenerateRequest & { readonly model: string }

/** Anthropic wants system text apart and alternating turns: tool results are user turns. */
const toMessages = (messages: ReadonlyArray<LanguageModel.ChatMessage>): Array<MessageParam> => {
  const out: Array<MessageParam> = []
  const push = (message: MessageParam) => {
    const last = out.at(-1)
    if (last !== undefined && last.role === message.role && Array.isArray(last.content) && Array.isArray(message.content)) {
      last.content = [...last.content, ...message.content]
    } else out.push(message)
  }
  for (const m of messages) {
    if (m.role === "system") continue
    if (m.role === "user") push({ role: "user", content: [{ type: "text", text: m.content }] })
    else if (m.role === "tool") push({ role: "user", content: [{ type: "tool_result", tool_use_id: m.toolCallId, content: m.content }] })
    else {
      push({
        role: "assistant",
        content: [
          ...(m.content.length > 0 ? [{ type: "text" as const, text: m.content }] : []),
          ...(m.toolCalls ?? []).map((c) => ({ type: "tool_use" as const, id: c.id, name: c.name, input: parseArguments(c.arguments) }))
        ]
      })
    }
  }
  return out
}

const parseArguments = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return {}
  }
}

const toParams = (r: Request, defaultMaxTokens: number, cache: CacheOptions = {}): MessageCreateParamsBase => {
  const system = r.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n\n")
  const cacheControl = { cache_control: { type: "ephemeral" as const, ...(cache.ttl === "1h" ? { ttl: "1h" as const } : {}) } }
  // A breakpoint on the last tool caches every tool before it; tools come before the system prompt.
  const withBreakpoint = <A extends object>(items: ReadonlyArray<A>): ReadonlyArray<A> =>
    cache.tools === true && items.length > 0 ? [...items.slice(0, -1), { ...items.at(-1)!, ...cacheControl }] : items
  const tools = withBreakpoint([
    ...(r.tools ?? []).map((t) => ({ name: t.name, description: t.description, input_schema: toolParameters(t.parameters) })),
    ...(r.responseSchema === undefined
      ? []
      : [{ name: RESPONSE_TOOL, description: "Give the answer in the required shape.", input_schema: toolParameters(r.responseSchema) }])
  ])
  const choice = r.responseSchema !== undefined ? { type: "tool" as const, name: RESPONSE_TOOL } : r.toolChoice
  return {
    model: r.model,
    max_tokens: r.maxTokens ?? defaultMaxTokens,
    messages: toMessages(r.messages),
    ...(system.length === 0 ? {} : { system: cache.system === true ? [{ type: "text" as const, text: system, ...cacheControl }] : system }),
    ...(r.temperature === undefined ? {} : { temperature: r.temperature }),
    ...(r.stop === undefined ? {} : { stop_sequences: [...r.stop] }),
    ...(tools.length === 0 ? {} : { tools: tools as MessageCreateParamsBase["tools"] & {} }),
    ...(choice === undefined
      ? {}
      : {
        tool_choice:
          choice === "auto" ? { type: "auto" } : choice === "required" ? { type: "any" } : choice === "none" ? { type: "none" } : { type: "tool", name: choice.name }
      })
  }
}

const finishReason = (reason: StopReason | null | undefined): LanguageModel.FinishReason => {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "tool_use":
      return "tool_calls"
    case "refusal":
      return "content_filter"
    default:
      return "unknown"
  }
}

interface RawUsage {
  readonly input_tokens?: number | null
  readonly output_tokens?: number | null
  readonly cache_read_input_tokens?: number | null
  readonly cache_creation_input_tokens?: number | null
  readonly cache_creation?: { readonly ephemeral_1h_input_tokens?: number | null } | null
}

const toUsage = (u: RawUsage): Usage.Usage => {
  const cached = u.cache_read_input_tokens ?? 0
  const written = u.cache_creation_input_tokens ?? 0
  return Usage.make({
    inputTokens: (u.input_tokens ?? 0) + cached + written,
    outputTokens: u.output_tokens ?? 0,
    cachedInputTokens: cached,
    cacheWriteTokens: written,
    cacheWrite1hTokens: u.cache_creation?.ephemeral_1h_input_tokens ?? 0
  })
}

/** A forced `respond` call is the structured answer: its input becomes the text. */
const readContent = (content: ReadonlyArray<ContentBlock>, structured: boolean) => {
  const toolCalls = content.flatMap((b) => (b.type === "tool_use" ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input) }] : []))
  const answer = structured ? toolCalls.find((c) => c.name === RESPONSE_TOOL) : undefined
  return answer !== undefined
    ? { text: answer.arguments, toolCalls: toolCalls.filter((c) => c !== answer) }
    : { text: content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join(""), toolCalls }
}

export const make = (options: Options): LanguageModel.Service => {
  const provider = "anthropic"
  const settings: CallSettings = {
    provider,
    label: "Anthropic",
    apiKey: options.apiKey,
    timeout: Duration.decode(options.timeout ?? "60 seconds"),
    retry: retrySchedule(options.retry)
  }
  const client = new Anthropic({
    apiKey: Redacted.value(options.apiKey),
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    maxRetries: 0,
    timeout: Duration.toMillis(settings.timeout) + 1_000
  })
  const maxTokens = options.defaultMaxTokens ?? 4096
  const errorsFor = (model: string) => toLlmError(Anthropic, settings, model)

  const generate = (r: Request): Effect.Effect<LanguageModel.GenerateResponse, LlmError> =>
    Effect.scoped(
      request(settings, errorsFor(r.model), r.model, (signal) =>
        client.messages.create({ ...toParams(r, maxTokens, options.cache), stream: false }, { signal }).withResponse()
      )
    ).pipe(
      Effect.map(({ data, request_id }): LanguageModel.GenerateResponse => {
        const structured = r.responseSchema !== undefined
        const { text, toolCalls } = readContent(data.content, structured)
        return {
          text,
          toolCalls,
          finishReason: structured && data.stop_reason === "tool_use" && toolCalls.length === 0 ? "stop" : finishReason(data.stop_reason),
          provider,
          model: data.model,
          usage: toUsage(data.usage),
          ...idFields(request_id, data.id)
        }
      })
    )

  const stream = (r: Request): Stream.Stream<LanguageModel.StreamPart, LlmError> =>
    Stream.unwrapScoped(
      Effect.map(
        request(settings, errorsFor(r.model), r.model, (signal) =>
          client.messages.create({ ...toParams(r, maxTokens, options.cache), stream: true }, { signal }).withResponse()
        ),
        ({ data }) => {
          const structured = r.responseSchema !== undefined
          let model = r.model
          let responseId: string | undefined
          let text = ""
          let reason: LanguageModel.FinishReason = "unknown"
          let usage: Option.Option<RawUsage> = Option.none()
          const blocks = new Map<number, { id: string; name: string; json: string }>()
          let outputCounted = false
          const finish = (finishReason: LanguageModel.FinishReason) => finishPart(provider, model, finishReason, Option.map(usage, toUsage), r, text, responseId)
          /**
           * Cut before `message_delta`: message_start's output count is a placeholder (1), so the
           * output that arrived is counted with the tokenizer.
           */
          const cut = () => {
            if (!outputCounted) {
              const arrived = Tokenizer.countTokens(text + [...blocks.values()].map((b) => b.json).join(""))
              usage = Option.map(usage, (u) => ({ ...u, output_tokens: Math.max(u.output_tokens ?? 0, arrived) }))
            }
            return finish("error")
          }
          const onEvent = (event: RawMessageStreamEvent): ReadonlyArray<LanguageModel.StreamPart> => {
            switch (event.type) {
              case "message_start":
                model = event.message.model
                responseId = event.message.id
                usage = Option.some(event.message.usage)
                return []
              case "content_block_start":
                if (event.content_block.type === "tool_use") {
                  blocks.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: "" })
                }
                return []
              case "content_block_delta": {
                const d = event.delta
                if (d.type === "input_json_delta") {
                  const block = blocks.get(event.index)
                  if (block !== undefined) block.json += d.partial_json
                  if (structured && block?.name === RESPONSE_TOOL && d.partial_json.length > 0) {
                    text += d.partial_json
                    return [{ _tag: "TextDelta", text: d.partial_json }]
                  }
                  return []
                }
                if (d.type !== "text_delta") return []
                text += d.text
                return [{ _tag: "TextDelta", text: d.text }]
              }
              case "content_block_stop": {
                const block = blocks.get(event.index)
                if (block === undefined || (structured && block.name === RESPONSE_TOOL)) return []
                return [{ _tag: "ToolCall", toolCall: { id: block.id, name: block.name, arguments: block.json.length === 0 ? "{}" : block.json } }]
              }
              case "message_delta": {
                reason = finishReason(event.delta.stop_reason)
                outputCounted = true
                // The delta's counts are cumulative; keep the start's input counts where it has none.
                const previous = Option.getOrElse(usage, (): RawUsage => ({}))
                usage = Option.some({
                  input_tokens: event.usage.input_tokens ?? previous.input_tokens ?? null,
                  output_tokens: event.usage.output_tokens,
                  cache_read_input_tokens: event.usage.cache_read_input_tokens ?? previous.cache_read_input_tokens ?? null,
                  cache_creation_input_tokens: event.usage.cache_creation_input_tokens ?? previous.cache_creation_input_tokens ?? null,
                  cache_creation: previous.cache_creation ?? null
                })
                return []
              }
              default:
                return []
            }
          }
          return streamParts(
            settings,
            errorsFor(r.model),
            () => new Anthropic.APIConnectionTimeoutError({ message: `no event within ${Duration.format(settings.timeout)}` }),
            data,
            {
              onItem: onEvent,
              end: () => [finish(structured && reason === "tool_calls" ? "stop" : reason)],
              partial: cut
            }
          )
        }
      )
    )

  return LanguageModel.make({ provider, defaultModel: options.model ?? DEFAULT_MODEL, generate, stream })
}

export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel> => Layer.sync(LanguageModel.LanguageModel, () => make(options))

/** Reads `ANTHROPIC_API_KEY` (redacted) and optional `ANTHROPIC_BASE_URL` from the environment. */
export const layerConfig = (options: Omit<Options, "apiKey" | "baseURL"> = {}) => layerFromEnv("ANTHROPIC", layer, options)
