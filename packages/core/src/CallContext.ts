/**
 * Who is calling: the run, the agent and the chain of patterns a step runs inside. Carried in the
 * context (a `Context.Reference`, so it is always there) so the cost ledger and spans can attribute
 * a model call to the agent and pattern path it belongs to, whatever depth the call happens at.
 * DistributedRuntime carries it over the wire.
 */
import { Context, Effect, type Fiber } from "effect"
import { contextOf, provideOn } from "./internal/effectInternals.js"
import { lastResult } from "./internal/lastResult.js"

export interface CallContext {
  readonly runId: string | undefined
  /** The name of the workflow the run is (`Workflow.run`'s), so reports can say which run is which. */
  readonly workflow: string | undefined
  readonly agent: string | undefined
  /** Outermost first, e.g. ["support-router", "research-parallel"]. */
  readonly patternPath: ReadonlyArray<string>
}

export const empty: CallContext = { runId: undefined, workflow: undefined, agent: undefined, patternPath: [] }

export class Current extends Context.Reference<Current>()("@aixfx/core/CallContext", { defaultValue: () => empty }) {}

export const get: Effect.Effect<CallContext> = Current

/** The call context in `context` (the empty one when none was set). */
export const of = (context: Context.Context<never>): CallContext => Context.get(context, Current)

/** Runs `effect` with the context `make` makes of the current one. */
const inContext = (make: (context: Context.Context<never>) => Context.Context<never>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.withFiberRuntime<A, E, R>((fiber) => provideOn(fiber, make(contextOf(fiber)), effect))

/** The context with the call context `f` makes of its own. */
const withCallContext = (f: (ctx: CallContext) => CallContext) => (context: Context.Context<never>): Context.Context<never> =>
  Context.add(context, Current, f(of(context)))

/** Runs `effect` with the call context `f` makes of the current one. */
const updated = (f: (ctx: CallContext) => CallContext) => inContext(withCallContext(f))

/** Runs `effect` as the agent `name`. */
export const withAgent = (name: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.withFiberRuntime<A, E, R>((fiber) => onFiberAs(fiber, name, effect))

/**
 * `withAgent` for code already holding the fiber `effect` is to run on (the agent call path); when
 * that agent is already the current one (the runtime set it), `effect` as it is.
 */
export const onFiberAs = <A, E, R>(fiber: Fiber.RuntimeFiber<any, any>, name: string, effect: Effect.Effect<A, E, R>) => {
  const context = contextOf(fiber)
  const ctx = of(context)
  return ctx.agent === name ? effect : provideOn(fiber, Context.add(context, Current, { ...ctx, agent: name }), effect)
}

/**
 * Runs `effect` inside pattern `name` (appended to the pattern path). Make it once per pattern: it
 * keeps the context it made last, and reuses it while the context it is given is the same, so
 * that a pattern called again from one context hands its steps the same context, whose per-agent
 * contexts the runtime then reuses too (a 10,000-agent Parallel would otherwise build 10,000 of
 * them on every call).
 */
export const withPattern = (name: string) =>
  inContext(lastResult(withCallContext((ctx) => ({ ...ctx, patternPath: [...ctx.patternPath, name] }))))

/** Runs `effect` as run `runId` of workflow `workflow` (a workflow's root sets them once). */
export const withRun = (runId: string, workflow?: string) => updated((ctx) => ({ ...ctx, runId, workflow }))

/** Replaces the whole call context (a server adopting the context a remote caller sent). */
export const withContext = (callContext: CallContext) => updated(() => callContext)
