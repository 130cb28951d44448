/**
 * Array-valued span attributes. Effect's span API turns an array into its JSON text; OpenTelemetry
 * attributes may be string arrays (`gen_ai.response.finish_reasons` must be one), so those are set on
 * the OpenTelemetry span behind the current Effect span, when there is one.
 */
import { currentOtelSpan } from "@effect/opentelemetry/Tracer"
import { Effect } from "effect"

export const setStringArrayAttribute = (key: string, values: ReadonlyArray<string>): Effect.Effect<void> =>
  Effect.match(currentOtelSpan, { onFailure: () => undefined, onSuccess: (span) => void span.setAttribute(key, [...values]) })
