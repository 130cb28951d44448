import { Duration, Redacted } from "effect"
import OpenAI from "openai"
import { type CallSettings, retrySchedule, type RetryOptions } from "./sdk.js"

export interface ClientOptions {
  readonly apiKey?: Redacted.Redacted
  readonly baseURL?: string
  readonly provider?: string
  readonly timeout?: Duration.DurationInput
  readonly retry?: RetryOptions
  readonly organization?: string
}

/** The call settings and SDK client (its own retries off) shared by chat and embeddings. */
export const openAiClient = (options: ClientOptions): { readonly settings: CallSettings; readonly client: OpenAI } => {
  const provider = options.provider ?? "openai"
  const settings: CallSettings = {
    provider,
    label: provider === "openai" ? "OpenAI" : `OpenAI-compatible endpoint "${provider}"`,
    apiKey: options.apiKey,
    timeout: Duration.decode(options.timeout ?? "60 seconds"),
    retry: retrySchedule(options.retry)
  }
  const client = new OpenAI({
    // The SDK insists on a key; self-hosted endpoints ignore it.
    apiKey: options.apiKey === undefined ? "none" : Redacted.value(options.apiKey),
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    ...(options.organization === undefined ? {} : { organization: options.organization }),
    maxRetries: 0,
    // Effect's timeout fires first and aborts; this only bounds a request Effect no longer watches.
    timeout: Duration.toMillis(settings.timeout) + 1_000
  })
  return { settings, client }
}
