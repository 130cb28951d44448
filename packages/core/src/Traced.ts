/**
 * Spans that cost nothing when nobody is tracing. Effect makes a span for every `withSpan` even
 * with no tracer installed (its native tracer keeps them in memory for nobody); on the agent call
 * path that was most of a call's cost. aixfx's own spans are made only when a tracer other than
 * Effect's native one is installed (`Telemetry.layer`, or any `Layer.setTracer`).
 */
import { Context, DefaultServices, Effect, type Fiber, Tracer } from "effect"

const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** Whether `fiber` runs with a tracer that records spans somewhere. */
export const isTracing = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean => fiber.currentTracer !== nativeTracer

/** `Effect.withSpan(name, options)` when a tracer is installed; the effect unchanged otherwise. */
export const span = (name: string, options?: Tracer.SpanOptions) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => (isTracing(fiber) ? Effect.withSpan(effect, name, options) : effect))
