/**
 * A model answering from a hand-written script, for tests and benchmarks: a list of replies served
 * in order, or a function of the request. Optional latency uses `Effect.sleep`, so `TestClock`
 * controls it. Usage is counted with the real tokenizer unless the script says otherwise; the
 * provider is "scripted", which prices at $0.
 */
import * as LanguageModel from "@aixfx/core/LanguageModel"
import * as Tokenizer from "@aixfx/core/Tokenizer"
import * as Usage from "@aixfx/core/Usage"
import { InvalidRequest, type LlmError } from "@aixfx/core/AgentError"
import { Duration, Effect, Layer, Ref, Stream } from "effect"

export const PROVIDER = "scripted"
export const MODEL = "scripted-1"

/** One scripted answer: a text, a response-like object, or an error the call fails with. */
export type Reply =
  | string
  | {
    readonly text?: string
    readonly toolCalls?: ReadonlyArray<LanguageModel.ToolCall>
    readonly finishReason?: LanguageModel.FinishReason
    /** Omitted fields are counted with the tokenizer (input from the request, output from the text). */
    readonly usage?: Partial<Usage.Usage.Fields>
    readonly model?: string
  }
  | LlmError

export type Request = LanguageModel.GenerateRequest & { readonly model: string }

export interface Options {
  /** Replies in call order (running out is an `InvalidRequest`), or a function of the request. */
  readonly reply: ReadonlyArray<Reply> | ((request: Request, callIndex: number) => Reply | Effect.Effect<Reply, LlmError>)
  /** Waited before each reply (and before each streamed part, split evenly). */
  readonly latency?: Duration.DurationInput | ((request: Request) => Duration.DurationInput)
  readonly model?: string
}

const isError = (reply: Reply): reply is LlmError => typeof reply === "object" && "_tag" in reply

const toResponse = (request: Request, reply: Exclude<Reply, LlmError>): LanguageModel.GenerateResponse => {
  const r = typeof reply === "string" ? { text: reply } : reply
  const text = r.text ?? ""
  const toolCalls = r.toolCalls ?? []
  return {
    text,
    toolCalls,
    finishReason: r.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    provider: PROVIDER,
    model: r.model ?? request.model,
    usage: Usage.make({
      inputTokens: Tokenizer.countMessageTokens(request.messages),
      outputTokens: Tokenizer.countTokens(text),
      ...r.usage
    })
  }
}

/** Builds a scripted model (each `make` has its own position in the script). */
export const make = (options: Options): Effect.Effect<LanguageModel.Service> =>
  Effect.map(Ref.make(0), (calls) => {
    const latencyOf = (request: Request): Duration.Duration =>
      Duration.decode(options.latency === undefined ? 0 : typeof options.latency === "function" ? options.latency(request) : options.latency)

    const next = (request: Request): Effect.Effect<Reply, LlmError> =>
      Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (index) => {
        const script = options.reply
        if (typeof script === "function") {
          const out = script(request, index)
          return Effect.isEffect(out) ? out : Effect.succeed(out)
        }
        const reply = script[index]
        return reply !== undefined
          ? Effect.succeed(reply)
          : Effect.fail(
            new InvalidRequest({
              provider: PROVIDER,
              model: request.model,
              message: `ScriptedModel: the script has ${script.length} replies but call ${index + 1} was made`
            })
          )
      })

    const respond = (request: Request) =>
      Effect.flatMap(next(request), (reply) => (isError(reply) ? Effect.fail(reply) : Effect.succeed(toResponse(request, reply))))

    const generate = (request: Request) => Effect.zipRight(Effect.sleep(latencyOf(request)), respond(request))

    // Streams the text word by word, the latency spread over the parts, so consumers see real deltas.
    const stream = (request: Request): Stream.Stream<LanguageModel.StreamPart, LlmError> =>
      Stream.unwrap(
        Effect.map(respond(request), (r) => {
          const words = r.text.match(/\S+\s*|\s+/g) ?? []
          const parts: Array<LanguageModel.StreamPart> = [
            ...words.map((text) => ({ _tag: "TextDelta", text }) as const),
            ...r.toolCalls.map((toolCall) => ({ _tag: "ToolCall", toolCall }) as const),
            { _tag: "Finish", finishReason: r.finishReason, provider: r.provider, model: r.model, usage: r.usage }
          ]
          const pause = Duration.divide(latencyOf(request), parts.length).pipe((d) => (d._tag === "Some" ? d.value : Duration.zero))
          return Stream.mapEffect(Stream.fromIterable(parts), (part) => Effect.as(Effect.sleep(pause), part))
        })
      )

    return LanguageModel.make({ provider: PROVIDER, defaultModel: options.model ?? MODEL, generate, stream })
  })

export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel> => Layer.effect(LanguageModel.LanguageModel, make(options))
