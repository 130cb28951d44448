/**
 * Every place aixfx reaches past Effect's documented, behaviour-stable API, in one module. The
 * agent call path and the fan-out need them for speed (a call is a few µs; `Effect.provide`,
 * `Effect.forEach` and the validating Schema constructor cost several times that). Each relies on
 * a behaviour of Effect 3.22 that its test in `test/EffectInternals.test.ts` pins, so an Effect
 * upgrade that changes one fails there, loudly, rather than somewhere downstream.
 *
 * What each relies on:
 * - `contextOf`: `fiber.currentContext` is the context the fiber's effects see (`Effect.context`).
 * - `provideOn`: that context is the value of `FiberRef.currentContext`; writing it is seen by the
 *   next effect on the fiber, as `Effect.provide` would make it.
 * - `mergeContexts`: a Context is its `unsafeMap` (service key → service), keyed by `Tag.key`, and
 *   `Context.unsafeMake` builds an equal Context from such a map.
 * - `hasTracer`: `fiber.currentTracer` is the installed tracer, and Effect's own (native) tracer is
 *   the one in `DefaultServices.liveServices` until another is installed.
 * - `forkerFor` / `onExit` / `interruptAsFork`: `Runtime.runFork` starts the fiber at once and runs
 *   it on the current stack until it first waits, with the FiberRefs its `updateRefs` returns,
 *   calling it synchronously; a FiberRefs is its `locals` map, which `FiberRefs.unsafeMake` takes;
 *   `addObserver` is called once with its exit (also when added after the end);
 *   `unsafeInterruptAsFork` interrupts without waiting.
 * - `instanceWithoutValidation`: a `Schema.Class` instance is its prototype plus its fields as own
 *   properties, nothing else: equal, hashing alike and `Schema.is` like the constructor's result.
 */
import type { NonEmptyReadonlyArray } from "effect/Array"
import { Context, DefaultServices, Effect, type Exit, type Fiber, type FiberId, FiberRef, FiberRefs, Runtime, type RuntimeFlags, Tracer } from "effect"

// ---- the context of a fiber ---------------------------------------------------------------

/** The context `fiber`'s effects run with now. */
export const contextOf = (fiber: Fiber.RuntimeFiber<any, any>): Context.Context<never> => fiber.currentContext

export interface Hooks {
  /** Runs as the context is set (uninterruptibly: `after` always follows). */
  readonly before: () => void
  /** Runs as the context is restored. */
  readonly after: () => void
}

/**
 * `effect` with `context` as the context of `fiber` (the fiber it runs on), restored afterwards
 * however the effect ends: `Effect.provide` for code already holding the fiber and the context,
 * one FiberRef write each way and nothing masked or allocated beyond that. The agent call path runs
 * it on every call, where `Effect.provide` and `Effect.locally` were most of the cost.
 */
export const provideOn = <A, E, R>(
  fiber: Fiber.RuntimeFiber<any, any>,
  context: Context.Context<never>,
  effect: Effect.Effect<A, E, R>,
  hooks?: Hooks
): Effect.Effect<A, E, R> => {
  const previous = fiber.currentContext
  if (context === previous && hooks === undefined) return effect
  const restore = FiberRef.update(FiberRef.currentContext, () => {
    hooks?.after()
    return previous
  })
  return Effect.uninterruptibleMask((interruptible) =>
    Effect.zipRight(
      FiberRef.update(FiberRef.currentContext, () => {
        hooks?.before()
        return context
      }),
      Effect.matchCauseEffect(interruptible(effect), {
        onFailure: (cause) => Effect.zipRight(restore, Effect.failCause(cause)),
        onSuccess: (value) => Effect.as(restore, value)
      })
    )
  )
}

/**
 * `over` merged over `base`, except the services of `baseWins` that `base` has, plus `tag` set to
 * `service`: one new map (Context.merge then Context.add would copy it twice).
 */
export const mergeContexts = <I, S>(
  base: Context.Context<never>,
  over: Context.Context<never>,
  baseWins: ReadonlySet<string>,
  tag: Context.Tag<I, S>,
  service: S
): Context.Context<never> => {
  // Copied by forEach: `new Map(map)` goes through the iterator, an entry array per service.
  const services = new Map<string, unknown>()
  base.unsafeMap.forEach((value, key) => services.set(key, value))
  over.unsafeMap.forEach((value, key) => {
    if (!baseWins.has(key) || !services.has(key)) services.set(key, value)
  })
  services.set(tag.key, service)
  return Context.unsafeMake(services)
}

// ---- tracing --------------------------------------------------------------------------------

const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** Whether `fiber` runs with a tracer that records spans somewhere (not Effect's native one). */
export const hasTracer = (fiber: Fiber.RuntimeFiber<any, any>): boolean => fiber.currentTracer !== nativeTracer

// ---- hand-made fork-join (FanOut) -----------------------------------------------------------

/**
 * Starts fibers at once, each with a context of its own and the FiberRefs of `caller` (forked once
 * for all of them, as `Runtime.runFork` would fork them for each), for a fan-out's branches.
 * `Runtime.runFork` with the caller's FiberRefs copies them twice per fiber and runs their fork
 * patches again; here the runtime has none, and each fiber's FiberRefs are one plain copy of the
 * forked ones with the fiber's context.
 */
export const forkerFor = (caller: Fiber.RuntimeFiber<any, any>, runtimeFlags: RuntimeFlags.RuntimeFlags) => {
  const inherited = FiberRefs.forkAs(caller.getFiberRefs(), caller.id()).locals
  const contextHistory = inherited.get(FiberRef.currentContext) ?? []
  const runtime = Runtime.make({ context: Context.empty(), fiberRefs: FiberRefs.empty(), runtimeFlags })
  // Read by `updateRefs`, which runFork calls synchronously: one options object for every fiber.
  let nextContext: Context.Context<never> = Context.empty()
  const options: Runtime.RunForkOptions = {
    updateRefs: (_, fiberId) => {
      // Copied by forEach: `new Map(map)` goes through the iterator, an entry array per FiberRef.
      const locals = new Map<FiberRef.FiberRef<any>, NonEmptyReadonlyArray<readonly [FiberId.Single, any]>>()
      inherited.forEach((stack, fiberRef) => locals.set(fiberRef, stack))
      locals.set(FiberRef.currentContext, [[fiberId, nextContext], ...contextHistory])
      return FiberRefs.unsafeMake(locals)
    }
  }
  const run = Runtime.runFork(runtime)
  /** Starts `effect` on a new fiber with `context`: it runs here until it first waits (or ends). */
  return <A, E>(context: Context.Context<never>, effect: Effect.Effect<A, E>): Fiber.RuntimeFiber<A, E> => {
    nextContext = context
    return run(effect, options)
  }
}

/** Calls `f` once with the fiber's exit (at once if it has already ended). */
export const onExit = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, f: (exit: Exit.Exit<A, E>) => void): void =>
  fiber.addObserver(f)

/** Interrupts `fiber` as `by`, without waiting for it to end. */
export const interruptAsFork = (fiber: Fiber.RuntimeFiber<any, any>, by: Fiber.RuntimeFiber<any, any>): void =>
  fiber.unsafeInterruptAsFork(by.id())

// ---- Schema classes -------------------------------------------------------------------------

/**
 * An instance of the Schema class `Class` with `fields`, built as its constructor does with
 * validation off, less its search for field defaults (a class without defaults only): several
 * times faster, the same instance otherwise.
 */
export const instanceWithoutValidation = <T extends object>(Class: { readonly prototype: T }, fields: T): T =>
  Object.assign(Object.create(Class.prototype) as T, fields)
