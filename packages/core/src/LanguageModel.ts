/**
 * The provider-agnostic model service (after @effect/ai's LanguageModel). Providers build it with
 * `make`, which adds what every provider needs once: the `chat <model>` span with the GenAI
 * attributes, the cost from `Pricing`, and the `CostLedger` entry attributed to the calling agent.
 */
import { Clock, Context, Effect, FiberRef, JSONSchema, Option, Ref, Schema, Stream } from "effect"
import { type LlmError, MalformedOutput } from "./AgentError.js"
import type * as CallContext from "./CallContext.js"
import * as CostLedger from "./CostLedger.js"
import { type ContentCaptureOptions, currentContentCapture, inputMessages, outputMessages } from "./internal/telemetryContent.js"
import { setStringArrayAttribute } from "./internal/otelSpan.js"
import { recordModelCall } from "./internal/telemetryMetrics.js"
import * as Traced from "./Traced.js"
import * as Usage from "./Usage.js"

export interface ToolCall {
  readonly id: string
  readonly name: string
  /** The arguments as the model wrote them (a JSON string). */
  readonly arguments: string
}

export type ChatMessage =
  | { readonly role: "system"; readonly content: string }
  | { readonly role: "user"; readonly content: string }
  | { readonly role: "assistant"; readonly content: string; readonly toolCalls?: ReadonlyArray<ToolCall> }
  | { readonly role: "tool"; readonly toolCallId: string; readonly name: string; readonly content: string }

export interface Tool {
  readonly name: string
  readonly description: string
  /** The arguments' schema; providers send it to the model as JSON Schema. */
  readonly parameters: Schema.Schema<any, any>
}

export interface GenerateRequest {
  readonly messages: ReadonlyArray<ChatMessage>
  readonly model?: string
  readonly temperature?: number
  readonly maxTokens?: number
  readonly tools?: ReadonlyArray<Tool>
  readonly toolChoice?: "auto" | "none" | "required" | { readonly name: string }
  /** Asks for structured output matching this schema (JSON). */
  readonly responseSchema?: Schema.Schema<any, any>
  readonly stop?: ReadonlyArray<string>
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error" | "unknown"

export interface GenerateResponse {
  readonly text: string
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly finishReason: FinishReason
  readonly provider: string
  readonly model: string
  readonly usage: Usage.Usage
  readonly requestId?: string
  /** The provider's id of the completion (`chatcmpl-…`, `msg_…`): `gen_ai.response.id`. */
  readonly responseId?: string
}

export type StreamPart =
  | { readonly _tag: "TextDelta"; readonly text: string }
  | { readonly _tag: "ToolCall"; readonly toolCall: ToolCall }
  | {
    readonly _tag: "Finish"
    readonly finishReason: FinishReason
    readonly provider: string
    readonly model: string
    readonly usage: Usage.Usage
    readonly responseId?: string
  }

export interface Service {
  readonly provider: string
  readonly defaultModel: string
  readonly generate: (request: GenerateRequest) => Effect.Effect<GenerateResponse, LlmError>
  /** Text and tool-call parts, ending with a `Finish` part that carries the usage. */
  readonly stream: (request: GenerateRequest) => Stream.Stream<StreamPart, LlmError>
}

export class LanguageModel extends Context.Tag("@aixfx/core/LanguageModel")<LanguageModel, Service>() {}

export interface Implementation {
  readonly provider: string
  readonly defaultModel: string
  /** Receives the request with `model` always set. */
  readonly generate: (request: GenerateRequest & { readonly model: string }) => Effect.Effect<GenerateResponse, LlmError>
  /** Optional; without it, streaming replays `generate`'s answer as one delta. */
  readonly stream?: (request: GenerateRequest & { readonly model: string }) => Stream.Stream<StreamPart, LlmError>
}

/** The JSON Schema of a tool's parameters or a response schema, as providers send it. */
export const jsonSchema = (schema: Schema.Schema<any, any>): JSONSchema.JsonSchema7Root => JSONSchema.make(schema)

const requestAttributes = (provider: string, request: GenerateRequest & { readonly model: string }) => ({
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": provider,
  "gen_ai.request.model": request.model,
  ...(request.temperature === undefined ? {} : { "gen_ai.request.temperature": request.temperature }),
  ...(request.maxTokens === undefined ? {} : { "gen_ai.request.max_tokens": request.maxTokens })
})

/** The prompt on the current `chat` span, when content capture is on (and a tracer makes the span). */
const captureInput = (request: GenerateRequest) =>
  Effect.withFiberRuntime((fiber) => {
    const capture = fiber.getFiberRef(currentContentCapture)
    return capture.enabled && Traced.isTracing(fiber)
      ? Effect.annotateCurrentSpan("gen_ai.input.messages", inputMessages(request.messages, capture.maxLength))
      : Effect.void
  })

interface Outcome {
  readonly model: string
  readonly usage: Usage.Usage
  readonly finishReason?: FinishReason
  readonly responseId?: string
  readonly error?: string
  /** What the model answered (recorded only when content capture is on). */
  readonly text?: string
  readonly toolCalls?: ReadonlyArray<ToolCall>
}

/** Span attributes, metrics and ledger entry for a finished call (or the part of a stream that arrived). */
const settle = (provider: string, requestModel: string, outcome: Outcome, startedAt: number) => {
  const model = outcome.model || requestModel
  return Effect.flatMap(
    CostLedger.recordCall({
      provider,
      model,
      usage: outcome.usage,
      startedAt,
      ...(outcome.error === undefined ? {} : { error: outcome.error })
    }),
    ({ context: ctx, costUsd, pricesAsOf, durationMs }) =>
      Effect.zipRight(
        // Span attributes only when a tracer records them: building them (JSON included) is not free.
        Effect.withFiberRuntime((fiber) =>
          Traced.isTracing(fiber)
            ? Effect.zipRight(
              Effect.annotateCurrentSpan(outcomeAttributes(outcome, ctx, costUsd, pricesAsOf, fiber.getFiberRef(currentContentCapture))),
              outcome.finishReason === undefined ? Effect.void : setStringArrayAttribute("gen_ai.response.finish_reasons", [outcome.finishReason])
            )
            : Effect.void
        ),
        recordModelCall({
          provider,
          model,
          agent: ctx.agent,
          patternPath: ctx.patternPath,
          usage: outcome.usage,
          costUsd,
          durationMs,
          error: outcome.error
        })
      )
  )
}

/** The `chat` span's attributes for a finished call. */
const outcomeAttributes = (
  outcome: Outcome,
  ctx: CallContext.CallContext,
  costUsd: number | null,
  pricesAsOf: string | undefined,
  capture: ContentCaptureOptions
) => {
  const u = outcome.usage
  return {
    "gen_ai.response.model": outcome.model,
    ...(outcome.responseId === undefined ? {} : { "gen_ai.response.id": outcome.responseId }),
    // The names of the installed semantic conventions (@opentelemetry/semantic-conventions 1.45).
    "gen_ai.usage.input_tokens": u.inputTokens,
    "gen_ai.usage.output_tokens": u.outputTokens,
    "gen_ai.usage.cache_read.input_tokens": u.cachedInputTokens,
    "gen_ai.usage.cache_creation.input_tokens": u.cacheWriteTokens,
    "gen_ai.usage.reasoning.output_tokens": u.reasoningTokens,
    "langfuse.observation.type": "generation",
    // Langfuse adds the details up: each prompt token counted once (the uncached rest as `input`).
    "langfuse.observation.usage_details": JSON.stringify({
      input: Math.max(0, u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens),
      output: u.outputTokens,
      total: u.inputTokens + u.outputTokens,
      ...(u.cachedInputTokens > 0 ? { input_cached_tokens: u.cachedInputTokens } : {}),
      ...(u.cacheWriteTokens > 0 ? { input_cache_creation: u.cacheWriteTokens } : {})
    }),
    ...(costUsd === null
      ? { "aixfx.cost.unknown": true }
      : { "gen_ai.usage.cost": costUsd, "langfuse.observation.cost_details": JSON.stringify({ total: costUsd }) }),
    ...(pricesAsOf === undefined ? {} : { "aixfx.cost.prices_as_of": pricesAsOf }),
    ...(ctx.agent === undefined ? {} : { "gen_ai.agent.name": ctx.agent }),
    ...(capture.enabled && (outcome.text !== undefined || outcome.toolCalls !== undefined)
      ? {
        "gen_ai.output.messages": outputMessages(
          { text: outcome.text ?? "", toolCalls: outcome.toolCalls ?? [] },
          outcome.finishReason,
          capture.maxLength
        )
      }
      : {})
  }
}

/** Builds the service from a provider's implementation, adding tracing and cost recording. */
export const make = (impl: Implementation): Service => {
  const resolve = (request: GenerateRequest) => ({ ...request, model: request.model ?? impl.defaultModel })
  const streamImpl =
    impl.stream ??
    ((request: GenerateRequest & { readonly model: string }) =>
      Stream.unwrap(
        Effect.map(impl.generate(request), (r): Stream.Stream<StreamPart> =>
          Stream.fromIterable<StreamPart>([
            ...(r.text.length > 0 ? [{ _tag: "TextDelta", text: r.text } as const] : []),
            ...r.toolCalls.map((toolCall) => ({ _tag: "ToolCall", toolCall }) as const),
            {
              _tag: "Finish",
              finishReason: r.finishReason,
              provider: r.provider,
              model: r.model,
              usage: r.usage,
              ...(r.responseId === undefined ? {} : { responseId: r.responseId })
            }
          ])
        )
      ))

  const generate = (request: GenerateRequest): Effect.Effect<GenerateResponse, LlmError> => {
    const resolved = resolve(request)
    const run = Effect.flatMap(Clock.currentTimeMillis, (startedAt) =>
      impl.generate(resolved).pipe(
        Effect.tap((response) => settle(impl.provider, resolved.model, response, startedAt)),
        // A failed call is in the ledger and the metrics too, with what it used (nothing reported), as a failed stream is.
        Effect.tapError((error) => settle(impl.provider, resolved.model, { model: resolved.model, usage: Usage.empty, error: error._tag }, startedAt))
      ))
    return Effect.withFiberRuntime<GenerateResponse, LlmError>((fiber) =>
      Traced.isTracing(fiber)
        ? Effect.zipRight(captureInput(resolved), run).pipe(
          Effect.tapError((error) => Effect.annotateCurrentSpan("error.type", error._tag)),
          Effect.withSpan(`chat ${resolved.model}`, { kind: "client", attributes: requestAttributes(impl.provider, resolved) })
        )
        : run
    )
  }

  const stream = (request: GenerateRequest): Stream.Stream<StreamPart, LlmError> => {
    const resolved = resolve(request)
    const body = Stream.unwrapScoped(
      Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis
        yield* captureInput(resolved)
        const capture = yield* FiberRef.get(currentContentCapture)
        // The stream's finalizers run outside the span's context: point them at the chat span.
        const chatSpan = yield* Effect.option(Effect.currentSpan)
        const inChatSpan = <A, E>(effect: Effect.Effect<A, E>) =>
          Option.match(chatSpan, { onNone: () => effect, onSome: (span) => Effect.withParentSpan(effect, span) })
        // What arrived so far, so a stream cut mid-way still records the usage it reported.
        const finish = yield* Ref.make<Option.Option<Extract<StreamPart, { _tag: "Finish" }>>>(Option.none())
        // The answer so far, kept only when content capture is on.
        const answer = yield* Ref.make<{ readonly text: string; readonly toolCalls: ReadonlyArray<ToolCall> }>({ text: "", toolCalls: [] })
        const settleOnce = (error?: LlmError) =>
          Effect.flatMap(Effect.zip(Ref.getAndSet(finish, Option.none()), Ref.get(answer)), ([last, output]) =>
            settle(
              impl.provider,
              resolved.model,
              {
                ...Option.match(last, { onNone: () => ({ model: resolved.model, usage: Usage.empty }), onSome: (f) => f }),
                ...(error === undefined ? {} : { error: error._tag }),
                ...(capture.enabled ? output : {})
              },
              startedAt
            )
          )
        const keep = (part: StreamPart) =>
          part._tag === "TextDelta"
            ? Ref.update(answer, (a) => ({ ...a, text: a.text + part.text }))
            : part._tag === "ToolCall"
            ? Ref.update(answer, (a) => ({ ...a, toolCalls: [...a.toolCalls, part.toolCall] }))
            : Effect.void
        return streamImpl(resolved).pipe(
          Stream.tap((part) =>
            Effect.zipRight(
              part._tag === "Finish" ? Ref.set(finish, Option.some(part)) : Effect.void,
              capture.enabled ? keep(part) : Effect.void
            )
          ),
          Stream.tapError((error) => inChatSpan(Effect.zipRight(Effect.annotateCurrentSpan("error.type", error._tag), settleOnce(error)))),
          Stream.onDone(() => inChatSpan(settleOnce()))
        )
      })
    )
    return Stream.unwrap(
      Effect.withFiberRuntime((fiber) =>
        Effect.succeed(
          Traced.isTracing(fiber)
            ? Stream.withSpan(body, `chat ${resolved.model}`, { kind: "client", attributes: requestAttributes(impl.provider, resolved) })
            : body
        )
      )
    )
  }

  return { provider: impl.provider, defaultModel: impl.defaultModel, generate, stream }
}

// ---- accessors ------------------------------------------------------------------------------
export const generate = (request: GenerateRequest) => Effect.flatMap(LanguageModel, (m) => m.generate(request))

export const stream = (request: GenerateRequest) => Stream.unwrap(Effect.map(LanguageModel, (m) => m.stream(request)))

/** Generates structured output and decodes it with `schema`; a mismatch is `MalformedOutput`. */
export const generateObject = <A, I>(request: Omit<GenerateRequest, "responseSchema">, schema: Schema.Schema<A, I>) =>
  Effect.gen(function* () {
    const model = yield* LanguageModel
    const response = yield* model.generate({ ...request, responseSchema: schema })
    const value = yield* Schema.decodeUnknown(Schema.parseJson(schema))(response.text).pipe(
      Effect.mapError(
        (error) =>
          new MalformedOutput({
            provider: response.provider,
            model: response.model,
            output: response.text,
            message: `Model ${response.model} returned output that does not match the requested schema: ${error.message}`
          })
      )
    )
    return { value, response }
  })
