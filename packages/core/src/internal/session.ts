/**
 * The session and user of a run, carried as span annotations. Kept apart from TraceContext so
 * that Workflow (an in-process module) does not load the OpenTelemetry packages TraceContext needs.
 */
import { Effect, FiberRef, HashMap, Option } from "effect"

export interface Session {
  readonly sessionId?: string | undefined
  readonly userId?: string | undefined
}

const SESSION_ATTRIBUTES = ["session.id", "langfuse.session.id"] as const
const USER_ATTRIBUTES = ["user.id", "langfuse.user.id"] as const

/**
 * Annotates every span started inside `effect` (at any depth, in any forked fiber) with the session
 * and user, under both the OpenTelemetry and the Langfuse attribute names.
 */
export const withSession = (session: Session) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const annotations: Record<string, string> = {}
  if (session.sessionId !== undefined) for (const key of SESSION_ATTRIBUTES) annotations[key] = session.sessionId
  if (session.userId !== undefined) for (const key of USER_ATTRIBUTES) annotations[key] = session.userId
  return Object.keys(annotations).length === 0 ? effect : Effect.annotateSpans(effect, annotations)
}

/** The session recorded in span annotations (as `withSession` puts it there). */
export const sessionOf = (annotations: HashMap.HashMap<string, unknown>): Session => {
  const read = (key: string) => Option.getOrUndefined(Option.filter(HashMap.get(annotations, key), (v): v is string => typeof v === "string"))
  return { sessionId: read(SESSION_ATTRIBUTES[0]), userId: read(USER_ATTRIBUTES[0]) }
}

/** The session and user the current spans are annotated with (set by `withSession`). */
export const currentSession: Effect.Effect<Session> = Effect.map(FiberRef.get(FiberRef.currentTracerSpanAnnotations), sessionOf)
