/**
 * Array-valued span attributes. Effect's span API turns an array into its JSON text; OpenTelemetry
 * attributes may be string arrays (`gen_ai.response.finish_reasons` must be one), so those are set on
 * the OpenTelemetry span behind the current Effect span, when there is one.
 *
 * The way to that span (`@effect/opentelemetry`'s `currentOtelSpan`) is handed in by the modules
 * that load the OpenTelemetry SDK anyway (Telemetry, TraceContext), so that the in-process entry
 * points (LanguageModel, LocalRuntime) load none of it: without them there is no OpenTelemetry span.
 */
import type { Span } from "@opentelemetry/api"
import { Effect } from "effect"

let currentOtelSpan: Effect.Effect<Span, unknown> | undefined

/** Called once by a module that loads `@effect/opentelemetry`. */
export const provideCurrentOtelSpan = (current: Effect.Effect<Span, unknown>): void => {
  currentOtelSpan = current
}

export const setStringArrayAttribute = (key: string, values: ReadonlyArray<string>): Effect.Effect<void> =>
  currentOtelSpan === undefined
    ? Effect.void
    : Effect.match(currentOtelSpan, { onFailure: () => undefined, onSuccess: (span) => void span.setAttribute(key, [...values]) })
