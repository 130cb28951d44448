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
import { type Session, sessionOf, withSession } from "./internal/session.js"

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

/** A header's value as a string: a list yields its first string; anything else is absent. */
const stringOf = (value: unknown): string | undefined => {
  if (typeof value === "string") return value
  if (Array.isArray(value)) return value.find((v): v is string => typeof v === "string")
  return undefined
}

/**
 * The carrier with lowercase names, for direct lookups: the carrier itself when its names are
 * lowercase already (gRPC metadata's always are), else a lowercased copy (the first of names
 * differing only in case wins, as a case-insensitive search would find it).
 */
const lowercased = (carrier: Carrier): Carrier => {
  const keys = Object.keys(carrier)
  if (keys.every((key) => key === key.toLowerCase())) return carrier
  const copy: Record<string, unknown> = {}
  for (const key of keys) {
    const lower = key.toLowerCase()
    if (!(lower in copy)) copy[lower] = carrier[key]
  }
  return copy
}

/** A header of a lowercased carrier; `name` is lowercase. */
const header = (headers: Carrier, name: string): string | undefined => stringOf(headers[name])

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

export const callContextFromHeaders = (carrier: Carrier): CallContext.CallContext => callContextOf(lowercased(carrier))

const callContextOf = (carrier: Carrier): CallContext.CallContext => {
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
export const extract = (carrier: Carrier): Option.Option<Tracer.ExternalSpan> => remoteSpanOf(lowercased(carrier))

const remoteSpanOf = (carrier: Carrier): Option.Option<Tracer.ExternalSpan> =>
  // No traceparent (a caller without tracing, the common case): nothing for the propagator to parse.
  carrier[TRACEPARENT] === undefined ? Option.none() : Option.map(Option.fromNullable(trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, getter))), (context) =>
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
 * What a remote call's headers ask its handler to run inside: `services` holds the remote span as
 * the parent span (when the trace headers are present and valid) and the caller's `CallContext`
 * (when it sent one), for a server to merge into the context it starts the handler's fiber with;
 * `session` is for `withSession`.
 */
export interface Remote {
  readonly services: Context.Context<never>
  readonly session: Session
}

export const remoteOf = (carrier: Carrier): Remote => {
  const headers = lowercased(carrier)
  const callContext = callContextOf(headers)
  const parent = remoteSpanOf(headers)
  let services = Context.empty()
  // A caller outside any run, agent or pattern sent none: the empty call context is the default.
  if (!isEmpty(callContext)) services = Context.add(services, CallContext.Current, callContext)
  if (Option.isSome(parent)) services = Context.add(services, Tracer.ParentSpan, parent.value)
  return { services, session: { sessionId: header(headers, SESSION_ID), userId: header(headers, USER_ID) } }
}

/**
 * Runs `effect` as the continuation of the remote call the headers describe: the remote span is the
 * parent of its spans, and the call context and session are the caller's. Missing or malformed
 * trace headers start a new trace instead (a caller without tracing is not an error).
 */
export const withRemoteParent = (carrier: Carrier) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const remote = remoteOf(carrier)
  return withSession(remote.session)(Effect.provide(effect, remote.services))
}
