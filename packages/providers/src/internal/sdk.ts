/**
 * What the OpenAI and Anthropic layers share: mapping SDK errors to core's typed LLM errors (status
 * and request id kept, keys scrubbed), the retry schedule, per-call timeouts and aborting the HTTP
 * request when the fiber is interrupted. Both SDKs come from the same generator, so their error
 * classes have the same shape.
 */
import type * as LanguageModel from "@aixfx/core/LanguageModel"
import * as Tokenizer from "@aixfx/core/Tokenizer"
import * as Usage from "@aixfx/core/Usage"
import {
  AuthenticationFailed,
  ContentFiltered,
  ContextLengthExceeded,
  InvalidRequest,
  isRetryableLlmError,
  LlmTimeout,
  MalformedOutput,
  NetworkError,
  ProviderUnavailable,
  RateLimited,
  type LlmError
} from "@aixfx/core/AgentError"
import { Config, type ConfigError, Duration, Effect, Layer, Option, Redacted, Schedule, type Scope, Stream } from "effect"

interface SdkApiError extends Error {
  readonly status: number | undefined
  readonly headers: Headers | undefined
  readonly error: unknown
  readonly requestID: string | null | undefined
}

/** The error classes of one SDK (`OpenAI.APIError`, …). */
export interface SdkErrors {
  readonly APIError: abstract new (...args: any) => SdkApiError
  readonly APIConnectionError: abstract new (...args: any) => Error
  readonly APIConnectionTimeoutError: abstract new (...args: any) => Error
}

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  readonly times?: number
  /** First backoff delay, doubled each retry, with jitter (default 500 ms). */
  readonly base?: Duration.DurationInput
  /** Longest wait between attempts, also for a server's retry-after (default 30 s). */
  readonly maxDelay?: Duration.DurationInput
}

export interface CallSettings {
  readonly provider: string
  readonly label: string
  readonly apiKey: Redacted.Redacted | undefined
  readonly timeout: Duration.Duration
  readonly retry: Schedule.Schedule<unknown, LlmError>
}

/** Exponential backoff with jitter for retryable errors only (`x-should-retry` decides when sent); a server's retry-after wins. */
export const retrySchedule = (options: RetryOptions = {}): Schedule.Schedule<unknown, LlmError> => {
  const maxDelay = Duration.decode(options.maxDelay ?? "30 seconds")
  return Schedule.exponential(options.base ?? "500 millis").pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.identity<LlmError>()),
    Schedule.modifyDelay(([, error], delay) => {
      const wait = "retryAfterMs" in error && error.retryAfterMs !== undefined ? Duration.millis(error.retryAfterMs) : delay
      return Duration.min(wait, maxDelay)
    }),
    Schedule.intersect(Schedule.recurs(options.times ?? 3)),
    Schedule.whileInput(isRetryableLlmError)
  )
}

/** `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export const retryAfterMs = (headers: Headers | undefined): number | undefined => {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "")
  if (Number.isFinite(ms) && ms >= 0) return ms
  const value = headers?.get("retry-after")
  if (value === null || value === undefined) return undefined
  const seconds = Number.parseFloat(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** Removes the API key, and anything shaped like one, from text bound for an error or a log. */
export const scrub = (text: string, apiKey: Redacted.Redacted | undefined): string => {
  const key = apiKey === undefined ? "" : Redacted.value(apiKey)
  const withoutKey = key.length > 0 ? text.split(key).join("[redacted]") : text
  return withoutKey.replace(/\b(sk-[A-Za-z0-9_-]{0,12})[A-Za-z0-9_*.-]{8,}/g, "$1…[redacted]")
}

const bodyMessage = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const record = body as Record<string, unknown>
  const nested = record["error"]
  if (typeof nested === "object" && nested !== null && typeof (nested as Record<string, unknown>)["message"] === "string") {
    return (nested as Record<string, unknown>)["message"] as string
  }
  return typeof record["message"] === "string" ? record["message"] : undefined
}

/** The error types both APIs send in a body or a stream's error event, with the HTTP status they go with. */
const STATUS_OF_ERROR_TYPE: Readonly<Record<string, number>> = {
  overloaded_error: 529,
  api_error: 500,
  server_error: 500,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  timeout_error: 504,
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413
}

const bodyType = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const record = body as Record<string, unknown>
  const nested = record["error"]
  const source = typeof nested === "object" && nested !== null ? (nested as Record<string, unknown>) : record
  return typeof source["type"] === "string" ? source["type"] : typeof source["code"] === "string" ? source["code"] : undefined
}

type LlmFields = ConstructorParameters<typeof InvalidRequest>[0]

const byStatus = (status: number, detail: string, fields: LlmFields): LlmError => {
  if (status === 401 || status === 403) return new AuthenticationFailed(fields)
  if (status === 429) return new RateLimited(fields)
  if (status === 408) return new LlmTimeout(fields)
  if (status === 409 || status >= 500) return new ProviderUnavailable(fields)
  if (CONTEXT_LENGTH.test(detail)) return new ContextLengthExceeded(fields)
  if (CONTENT_FILTER.test(detail)) return new ContentFiltered(fields)
  return new InvalidRequest(fields)
}

const CONTEXT_LENGTH = /context[_ ]length|maximum context|prompt is too long|too many tokens|context window/i
const CONTENT_FILTER = /content[_ ](policy|filter|management)|safety system/i

/** Maps anything an SDK call threw to a typed LLM error naming the provider, model and status. */
export const toLlmError = (errors: SdkErrors, settings: CallSettings, model: string) => (cause: unknown): LlmError => {
  const base = { provider: settings.provider, model }
  const text = (detail: string, status?: number, requestId?: string) =>
    scrub(
      `${settings.label} ${model}: ${status === undefined ? "" : `HTTP ${status} `}${detail}${requestId === undefined ? "" : ` (request ${requestId})`}`,
      settings.apiKey
    )
  if (cause instanceof errors.APIConnectionTimeoutError) {
    return new LlmTimeout({ ...base, message: text("the request timed out") })
  }
  if (cause instanceof errors.APIConnectionError) {
    const reason = cause.cause instanceof Error ? cause.cause.message : cause.message
    return new NetworkError({ ...base, message: text(`connection failed: ${reason}`) })
  }
  if (cause instanceof errors.APIError && cause.status !== undefined) {
    const status = cause.status
    const requestId = cause.requestID ?? undefined
    const detail = bodyMessage(cause.error) ?? cause.message
    const after = retryAfterMs(cause.headers)
    const should = cause.headers?.get("x-should-retry")
    const fields = {
      ...base,
      status,
      ...(requestId === undefined ? {} : { requestId }),
      ...(after === undefined ? {} : { retryAfterMs: after }),
      ...(should === "true" ? { shouldRetry: true } : should === "false" ? { shouldRetry: false } : {}),
      message: text(detail, status, requestId)
    }
    return byStatus(status, detail, fields)
  }
  if (cause instanceof errors.APIError) {
    // An error event inside a stream (no HTTP status): typed by its body like its HTTP twin.
    const status = STATUS_OF_ERROR_TYPE[bodyType(cause.error) ?? ""]
    const detail = bodyMessage(cause.error) ?? cause.message
    if (status !== undefined) return byStatus(status, detail, { ...base, message: text(`${detail} (in the stream)`) })
  }
  if (cause instanceof SyntaxError) {
    return new MalformedOutput({ ...base, output: "", message: text(`the response body is not valid JSON: ${cause.message}`) })
  }
  // fetch rejects a body cut mid-way with a bare TypeError ("terminated").
  const reason = cause instanceof Error ? `${cause.message}${cause.cause instanceof Error ? `: ${cause.cause.message}` : ""}` : String(cause)
  return new NetworkError({ ...base, message: text(`the connection failed: ${reason}`) })
}

/**
 * One SDK request: aborted through its AbortSignal when interrupted or timed out, failing with
 * typed errors, retried by the schedule. The controller lives in the caller's scope, so a
 * stream's body is aborted when the stream's scope closes.
 */
export const request = <A>(
  settings: CallSettings,
  mapError: (cause: unknown) => LlmError,
  model: string,
  send: (signal: AbortSignal) => Promise<A>
): Effect.Effect<A, LlmError, Scope.Scope> =>
  Effect.gen(function* () {
    const controller = yield* Effect.acquireRelease(Effect.sync(() => new AbortController()), (c) => Effect.sync(() => c.abort()))
    return yield* Effect.tryPromise({
      try: (signal) => {
        signal.addEventListener("abort", () => controller.abort(), { once: true })
        return send(controller.signal)
      },
      catch: mapError
    })
  }).pipe(
    Effect.timeoutFail({
      duration: settings.timeout,
      onTimeout: () =>
        new LlmTimeout({
          provider: settings.provider,
          model,
          timeoutMs: Duration.toMillis(settings.timeout),
          message: `${settings.label} ${model}: no response within ${Duration.format(settings.timeout)}`
        })
    }),
    Effect.retry(settings.retry)
  )

/**
 * The parts of a streamed body: each item's parts, then `end`'s (tool calls, the finish). A body
 * that stops between items longer than the timeout, or breaks, ends with `partial()` (the usage
 * of what arrived) before the error, so the ledger records it.
 */
export const streamParts = <Item>(
  settings: CallSettings,
  mapError: (cause: unknown) => LlmError,
  timeoutCause: () => unknown,
  items: AsyncIterable<Item>,
  handlers: {
    readonly onItem: (item: Item) => ReadonlyArray<LanguageModel.StreamPart>
    readonly end: () => ReadonlyArray<LanguageModel.StreamPart>
    readonly partial: () => LanguageModel.StreamPart
  }
): Stream.Stream<LanguageModel.StreamPart, LlmError> =>
  Stream.fromAsyncIterable(items, mapError).pipe(
    Stream.timeoutFail(() => mapError(timeoutCause()), settings.timeout),
    Stream.mapConcat(handlers.onItem),
    Stream.concat(Stream.suspend(() => Stream.fromIterable(handlers.end()))),
    Stream.catchAll((error) => Stream.concat(Stream.sync(handlers.partial), Stream.fail(error)))
  )

/** A provider layer from `<PREFIX>_API_KEY` (redacted) and optional `<PREFIX>_BASE_URL`. */
export const layerFromEnv = <Options extends { readonly apiKey?: Redacted.Redacted; readonly baseURL?: string }, ROut, E = never>(
  prefix: string,
  layer: (options: Options) => Layer.Layer<ROut, E>,
  options: Omit<Options, "apiKey" | "baseURL">
): Layer.Layer<ROut, ConfigError.ConfigError | E> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({ apiKey: Config.redacted(`${prefix}_API_KEY`), baseURL: Config.option(Config.string(`${prefix}_BASE_URL`)) }),
      ({ apiKey, baseURL }) =>
        layer({ ...options, apiKey, ...Option.match(baseURL, { onNone: () => ({}), onSome: (url) => ({ baseURL: url }) }) } as unknown as Options)
    )
  )

/** A stream's closing part; without usage from the provider, the prompt and the text that arrived are counted. */
export const finishPart = (
  provider: string,
  model: string,
  finishReason: LanguageModel.FinishReason,
  usage: Option.Option<Usage.Usage>,
  request: LanguageModel.GenerateRequest,
  text: string,
  responseId?: string
): LanguageModel.StreamPart => ({
  _tag: "Finish",
  finishReason,
  provider,
  model,
  ...(responseId === undefined || responseId === "" ? {} : { responseId }),
  usage: Option.getOrElse(usage, () =>
    Usage.make({ inputTokens: Tokenizer.countMessageTokens(request.messages), outputTokens: Tokenizer.countTokens(text) })
  )
})

/** The `requestId` and `responseId` fields of a response, when the provider sent them. */
export const idFields = (requestId: string | null | undefined, responseId: string | null | undefined): { readonly requestId?: string; readonly responseId?: string } => ({
  ...(requestId === null || requestId === undefined ? {} : { requestId }),
  ...(responseId === null || responseId === undefined || responseId === "" ? {} : { responseId })
})
