/**
 * Who is calling: the run, the agent and the chain of patterns a step runs inside. Carried in
 * FiberRefs so the cost ledger and spans can attribute a model call to the agent and pattern path
 * it belongs to, whatever depth the call happens at. DistributedRuntime carries it over the wire.
 */
import { Effect, FiberRef } from "effect"

export interface CallContext {
  readonly runId: string | undefined
  readonly agent: string | undefined
  /** Outermost first, e.g. ["support-router", "research-parallel"]. */
  readonly patternPath: ReadonlyArray<string>
}

export const empty: CallContext = { runId: undefined, agent: undefined, patternPath: [] }

export const current: FiberRef.FiberRef<CallContext> = FiberRef.unsafeMake<CallContext>(empty)

export const get: Effect.Effect<CallContext> = FiberRef.get(current)

/** Runs `effect` as the agent `name`. */
export const withAgent = (name: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locallyWith(effect, current, (ctx) => ({ ...ctx, agent: name }))

/** Runs `effect` inside pattern `name` (appended to the pattern path). */
export const withPattern = (name: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locallyWith(effect, current, (ctx) => ({ ...ctx, patternPath: [...ctx.patternPath, name] }))

/** Runs `effect` as run `runId` (a workflow's root sets it once). */
export const withRun = (runId: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locallyWith(effect, current, (ctx) => ({ ...ctx, runId }))

/** Replaces the whole context (a server adopting the context a remote caller sent). */
export const withContext = (context: CallContext) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locally(effect, current, context)
