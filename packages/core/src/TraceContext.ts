/**
 * The trace and call context as string headers, so a call that crosses a process boundary (gRPC
 * metadata, HTTP headers) stays in its caller's trace, run, pattern path and session.
 *
 * - W3C `traceparent` / `tracestate` describe the caller's current span; the receiver makes it the
 *   parent of its own spans.
 * - `aixfx-run-id`, `aixfx-workflow`, `aixfx-agent`, `aixfx-pattern-path` carry `CallContext`, so the cost ledger and
 *   spans on the receiving side attribute calls as the caller would.
 * - `aixfx-session-id`, `aixfx-user-id` carry the workflow's session and user, which every span of a
 *   run is annotated with (`session.id`, `user.id` and Langfuse's `langfuse.session.id` / `langfuse.user.id`).
 *
 * Header names are lowercase ASCII, as gRPC metadata requires.
 */
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import { ROOT_CONTEXT, trace, type TextMapGetter } from "@opentelemetry/api"
import { W3CTraceContextPropagator } from "@opentelemetry/core"
import { Context, Effect, type Fiber, FiberRef, Option, Tracer } from "effect"
import * as CallContext from "./CallContext.js"
import { contextOf } from "./internal/effectInternals.js"
import { provideCurrentOtelSpan } from "./internal/otelSpan.js"
import { sessionOf, withSession } from "./internal/session.js"

// Array-valued attributes (finish reasons) go on the OpenTelemetry span; see internal/otelSpan.
provideCurrentOtelSpan(OtelTracer.currentOtelSpan)

export const TRACEPARENT = "traceparent"
export const TRACESTATE = "tracestate"
export const RUN_ID = "aixfx-run-id"
export const WORKFLOW = "aixfx-workflow"
export const AGENT = "aixfx-agent"
export const PATTERN_PATH = "aixfx-pattern-path"
export const SESSION_ID = "aixfx-session-id"
export const USER_ID = "aixfx-user-id"

/** Headers as transports hand them over: values may be strings, lists of strings, or other things (ignored). */
export type Carrier = Readonly<Record<string, unknown>>

const propagator = new W3CTraceContextPropagator()

/** Case-insensitive lookup of a string header; a list yields its first string. */
const header = (carrier: Carrier, name: string): string | undefined => {
  const key = Object.keys(carrier).find((k) => k.toLowerCase() === name)
  const value = key === undefined ? undefined : carrier[key]
  if (typeof value === "string") return value
  if (Array.isArray(value)) return value.find((v): v is string => typeof v === "string")
  return undefined
}

const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => header(carrier, key.toLowerCase())
}

// ---- session (internal/session.ts: Workflow uses it without loading OpenTelemetry) -------------

export { currentSession, type Session, withSession } from "./internal/session.js"

// ---- call context ----------------------------------------------------------------------------

/**
 * `CallContext` as headers; absent fields are left out. The workflow name is URI-encoded (header
 * values are ASCII); pattern names are too, and comma-joined.
 */
export const callContextHeaders = (context: CallContext.CallContext): Record<string, string> => ({
  ...(context.runId === undefined ? {} : { [RUN_ID]: context.runId }),
  ...(context.workflow === undefined ? {} : { [WORKFLOW]: encodeURIComponent(context.workflow) }),
  ...(context.agent === undefined ? {} : { [AGENT]: context.agent }),
  ...(context.patternPath.length === 0 ? {} : { [PATTERN_PATH]: context.patternPath.map(encodeURIComponent).join(",") })
})

/** The `CallContext` the headers carry (empty fields when a header is missing). */
const isEmpty = (context: CallContext.CallContext): boolean =>
  context.runId === undefined && context.workflow === undefined && context.agent === undefined && context.patternPath.length === 0

/** A URI-encoded header value decoded; a malformed one (a peer's bug) as it came, rather than failing the call. */
const decoded = (value: string): string => {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

export const callContextFromHeaders = (carrier: Carrier): CallContext.CallContext => {
  const path = header(carrier, PATTERN_PATH)
  const workflow = header(carrier, WORKFLOW)
  return {
    runId: header(carrier, RUN_ID),
    workflow: workflow === undefined ? undefined : decoded(workflow),
    agent: header(carrier, AGENT),
    patternPath: path === undefined || path === "" ? [] : path.split(",").map(decoded)
  }
}

// ---- trace context ---------------------------------------------------------------------------

/** `traceparent` (+ `tracestate`) of the current span; empty outside any span. */
export const traceHeaders: Effect.Effect<Record<string, string>> = Effect.flatMap(
  // No span at all (no tracer installed) is the common case: answer it without `currentOtelSpan`,
  // whose failure builds an exception (with its stack) on every call.
  Effect.serviceOption(Tracer.ParentSpan),
  (parent) =>
    Option.isNone(parent)
      ? Effect.succeed({})
      : Effect.map(Effect.option(OtelTracer.currentOtelSpan), (span) => {
        const carrier: Record<string, string> = {}
        if (Option.isSome(span)) propagator.inject(trace.setSpanContext(ROOT_CONTEXT, span.value.spanContext()), carrier, { set: (c, k, v) => (c[k] = v) })
        return carrier
      })
)

/** The remote span `traceparent` (+ `tracestate`) names, if the header is present and valid. */
export const extract = (carrier: Carrier): Option.Option<Tracer.ExternalSpan> =>
  Option.map(Option.fromNullable(trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, getter))), (context) =>
    OtelTracer.makeExternalSpan({
      traceId: context.traceId,
      spanId: context.spanId,
      traceFlags: context.traceFlags,
      traceState: context.traceState
    })
  )

/** Everything a call should carry: trace headers, the `CallContext` and the session. */
export const inject: Effect.Effect<Record<string, string>> = Effect.withFiberRuntime((fiber) => injectOn(fiber, Effect.succeed))

/**
 * `inject` for code already holding the fiber (a transport's call path, on every remote call):
 * `use` gets the headers at once, read off the fiber, unless there is a span whose headers must
 * be read as an effect.
 */
export const injectOn = <A, E, R>(
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  use: (headers: Record<string, string>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  const session = sessionOf(fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations))
  const headers = {
    ...callContextHeaders(CallContext.of(contextOf(fiber))),
    ...(session.sessionId === undefined ? {} : { [SESSION_ID]: session.sessionId }),
    ...(session.userId === undefined ? {} : { [USER_ID]: session.userId })
  }
  return Context.getOption(contextOf(fiber), Tracer.ParentSpan)._tag === "None"
    ? use(headers)
    : Effect.flatMap(traceHeaders, (trace) => use({ ...trace, ...headers }))
}

/**
 * Runs `effect` as the continuation of the remote call the headers describe: the remote span is the
 * parent of its spans, and the call context and session are the caller's. Missing or malformed
 * trace headers start a new trace instead (a caller without tracing is not an error).
 */
export const withRemoteParent = (carrier: Carrier) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const callContext = callContextFromHeaders(carrier)
  const withSessionOf = withSession({ sessionId: header(carrier, SESSION_ID), userId: header(carrier, USER_ID) })
  // A caller outside any run, agent or pattern sent none: the empty call context is already current.
  const adopted = isEmpty(callContext) ? withSessionOf(effect) : CallContext.withContext(callContext)(withSessionOf(effect))
  return Option.match(extract(carrier), {
    onNone: () => adopted,
    onSome: (parent) => Effect.withParentSpan(adopted, parent) as Effect.Effect<A, E, R>
  })
}
