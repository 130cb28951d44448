/**
 * Spans that cost nothing when nobody is tracing. Effect makes a span for every `withSpan` even
 * with no tracer installed (its native tracer keeps them in memory for nobody); on the agent call
 * path that was most of a call's cost. aixfx's own spans are made only when a tracer other than
 * Effect's native one is installed (`Telemetry.layer`, or any `Layer.setTracer`).
 */
import { Effect, type Fiber, type Tracer } from "effect"
import { hasTracer } from "./internal/effectInternals.js"

/** Whether `fiber` runs with a tracer that records spans somewhere. */
export const isTracing = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean => hasTracer(fiber)

/** `Effect.withSpan(name, options)` when a tracer is installed; the effect unchanged otherwise. */
export const span = (name: string, options?: Tracer.SpanOptions) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => (isTracing(fiber) ? Effect.withSpan(effect, name, options) : effect))
