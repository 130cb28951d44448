/**
 * The in-process AgentRuntime. A call runs on its caller's fiber with the agent's registration
 * context; closing the layer interrupts every fiber inside a call (and waits for it) before the
 * agents stop. `maxConcurrentCalls` bounds the calls running code of their own: a call waiting on
 * the calls it makes gives its permit back meanwhile, so nested patterns cannot deadlock (see
 * internal/callPermits). Mailboxes are bounded Queues (a full mailbox makes `send` wait:
 * backpressure, never a drop).
 *
 * `call` is every agent step's hot path, so it is written against the fiber directly: no fiber of
 * its own, one copy of the fiber's refs, no readiness check for agents that are always ready, and
 * spans only when a tracer is installed.
 */
import { Cause, Context, Duration, Effect, type Either, ExecutionStrategy, Exit, type Fiber, Layer, Queue, Scope, Tracer } from "effect"
import { alwaysReady, isValidName, validateName, type Agent } from "./Agent.js"
import {
  AgentAlreadyRegistered,
  type AgentError,
  AgentNotFound,
  AgentNotReady,
  CallTimeout,
  InvalidAgentName,
  RuntimeStopped
} from "./AgentError.js"
import { AgentRuntime, type CallOptions, type RegisterError, type Service } from "./AgentRuntime.js"
import * as CallContext from "./CallContext.js"
import * as BudgetStore from "./BudgetStore.js"
import * as CostLedger from "./CostLedger.js"
import * as FanOut from "./FanOut.js"
import { contextOf, mergeContexts, provideOn } from "./internal/effectInternals.js"
import * as CallPermits from "./internal/callPermits.js"
import * as InFlightCalls from "./internal/inFlightCalls.js"
import { lastResult } from "./internal/lastResult.js"
import * as UntracedExecute from "./internal/untracedExecute.js"
import type { Message } from "./Message.js"
import * as Traced from "./Traced.js"

export interface Options {
  /** Capacity of each agent's mailbox (default 100). */
  readonly channelBufferSize?: number
  /**
   * Calls allowed to run at once across the runtime (default: unbounded). A call waiting on calls it
   * made (a pattern waiting on its steps) does not count while it waits, so nesting never deadlocks.
   */
  readonly maxConcurrentCalls?: number
  /** Default timeout of a call (default: none). */
  readonly callTimeout?: Duration.DurationInput
}

interface Entry {
  readonly name: string
  readonly role: string
  readonly description: string
  /** The agent's execute, its readiness checked first unless it is always ready. */
  readonly invoke: (input: Message) => Effect.Effect<Message, AgentError>
  /** `invoke` for a call that has set the agent as current and has no tracer (see `UntracedExecute`). */
  readonly invokeUntraced: (input: Message) => Effect.Effect<Message, AgentError>
  /** The context the agent runs with, from its caller's (see `contextAsAgent`). */
  readonly contextFor: (caller: Context.Context<never>) => Context.Context<never>
  readonly ready: Effect.Effect<boolean>
  readonly mailbox: Queue.Queue<Message>
  readonly scope: Scope.CloseableScope
}

/**
 * Services that belong to the run rather than to the agent: a call takes them from its caller
 * even when the agent was registered with its own, so the caller's ledger (and so its RunReport
 * and the budgets reading it) sees every model call of its run. The agent's registration provides
 * them only to callers without one. The budget store likewise: a run's budget counts every agent's calls. Everything else (the model, its pricing, tools) is the
 * agent's; the call context and the parent span are always the caller's.
 */
const runServices: ReadonlySet<string> = new Set([CostLedger.CostLedger.key, BudgetStore.BudgetStore.key])

/**
 * A caller's context as agent `name` runs with it: the agent's registration context (its
 * requirements) merged over the caller's, less the run's services the caller has (see
 * `runServices`), and the agent recorded in the call context. Calls come in runs from the same
 * caller context (a loop, a pattern's steps, a fan-out's branches), so the last result is kept and
 * reused while the caller's context is the same.
 */
const contextAsAgent = (name: string, registered: Context.Context<never>) =>
  lastResult((caller: Context.Context<never>): Context.Context<never> => {
    const callContext = CallContext.of(caller)
    // A pattern's fan-out builds one per branch per run, since its own context changes with every run.
    return mergeContexts(caller, registered, runServices, CallContext.Current, callContext.agent === name ? callContext : { ...callContext, agent: name })
  })

/** Builds the service inside the current scope; the scope's close stops the runtime. */
export const make = (options: Options = {}): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const channelBufferSize = options.channelBufferSize ?? 100
    const defaultTimeout = options.callTimeout === undefined ? undefined : Duration.decode(options.callTimeout)
    const withPermit = options.maxConcurrentCalls === undefined
      ? undefined
      : CallPermits.withPermit(yield* Effect.makeSemaphore(options.maxConcurrentCalls))
    const agents = new Map<string, Entry>()
    // Plain state: every read is on the hot path, and JavaScript runs one fiber at a time.
    let stopped = false
    const inFlight = InFlightCalls.make()
    // Agents' scopes are forked from this one, made before the finalizer below so that it closes
    // after it: callers are interrupted (and their agents' code has ended) before any agent stops.
    const agentsScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        stopped = true
        yield* inFlight.interruptAll
        for (const entry of agents.values()) {
          yield* Queue.shutdown(entry.mailbox)
          yield* Scope.close(entry.scope, Exit.void)
        }
        agents.clear()
      })
    )

    const whenRunning = <A, E, R>(effect: Effect.Effect<A, E, R>, agent?: string): Effect.Effect<A, E | RuntimeStopped, R> =>
      Effect.suspend((): Effect.Effect<A, E | RuntimeStopped, R> => (stopped ? Effect.fail(RuntimeStopped.of(agent)) : effect))

    const notFound = (name: string): AgentNotFound | InvalidAgentName =>
      isValidName(name) ? AgentNotFound.of(name, [...agents.keys()]) : InvalidAgentName.of(name)

    const lookup = (name: string): Effect.Effect<Entry, AgentNotFound | InvalidAgentName> => {
      const entry = agents.get(name)
      return entry === undefined ? Effect.fail(notFound(name)) : Effect.succeed(entry)
    }

    const register = <R>(agent: Agent<R>): Effect.Effect<void, RegisterError, R> =>
      whenRunning(
        Effect.gen(function* () {
          yield* validateName(agent.name)
          if (agents.has(agent.name)) return yield* Effect.fail(AgentAlreadyRegistered.of(agent.name))
          // The agent's requirements come from where it is registered, but its spans must hang
          // under each caller's span, so the registration-time parent span is dropped.
          const context = Context.omit(Tracer.ParentSpan)(yield* Effect.context<R>()) as Context.Context<never>
          const scope = yield* Scope.fork(agentsScope, ExecutionStrategy.sequential)
          const started = yield* agent.start.pipe(Scope.extend(scope), Effect.provide(context as Context.Context<R>), Effect.exit)
          if (Exit.isFailure(started)) {
            yield* Scope.close(scope, started)
            return yield* Effect.failCause(started.cause)
          }
          const execute = agent.execute as (input: Message) => Effect.Effect<Message, AgentError>
          const untraced = UntracedExecute.untracedOf(execute)
          const ready = agent.ready as Effect.Effect<boolean>
          const whenReady = (run: (input: Message) => Effect.Effect<Message, AgentError>) =>
            ready === alwaysReady
              ? run
              : (input: Message) => Effect.flatMap(ready, (isReady) => (isReady ? run(input) : Effect.fail(AgentNotReady.of(agent.name))))
          agents.set(agent.name, {
            name: agent.name,
            role: agent.role,
            description: agent.description,
            invoke: whenReady(execute),
            invokeUntraced: whenReady(untraced),
            contextFor: contextAsAgent(agent.name, context),
            ready: Effect.provide(ready, context),
            mailbox: yield* Queue.bounded<Message>(channelBufferSize),
            scope
          })
        })
      )

    const unregister = (name: string) =>
      Effect.gen(function* () {
        const entry = agents.get(name)
        if (entry === undefined) return yield* Effect.fail(AgentNotFound.of(name, [...agents.keys()]))
        agents.delete(name)
        yield* Queue.shutdown(entry.mailbox)
        yield* Scope.close(entry.scope, Exit.void)
      })

    /** The agent's execute with the call's bounds: a permit (if limited) and the timeout. */
    const bounded = (entry: Entry, message: Message, options: CallOptions | undefined, tracing: boolean): Effect.Effect<Message, AgentError> => {
      const timeout = options?.timeout === undefined ? defaultTimeout : Duration.decode(options.timeout)
      const invoked = tracing ? entry.invoke(message) : entry.invokeUntraced(message)
      // The timeout covers the wait for a permit as well: it is the caller's budget for the call.
      const run = withPermit === undefined ? invoked : withPermit(invoked)
      return timeout === undefined
        ? run
        : Effect.timeoutFail(run, { duration: timeout, onTimeout: () => CallTimeout.of(entry.name, Duration.toMillis(timeout)) })
    }

    /** On the caller's fiber, as the agent (see `contextAsAgent`), in flight until the call ends. */
    const asAgent = (fiber: Fiber.RuntimeFiber<Message, AgentError>, entry: Entry, effect: Effect.Effect<Message, AgentError>) =>
      provideOn(fiber, entry.contextFor(contextOf(fiber)), effect, inFlightHooks(fiber))

    const call = (name: string, message: Message, options?: CallOptions): Effect.Effect<Message, AgentError> =>
      Effect.withFiberRuntime((fiber) => {
        if (stopped) return Effect.fail(RuntimeStopped.of(name))
        const entry = agents.get(name)
        if (entry === undefined) return Effect.fail(notFound(name))
        if (!Traced.isTracing(fiber)) return asAgent(fiber, entry, bounded(entry, message, options, false))
        const run = bounded(entry, message, options, true)
        // The span first, so that the agent's context is merged over one carrying it as the parent.
        return Effect.withSpan(Effect.withFiberRuntime((inSpan) => asAgent(inSpan, entry, run)), `agent.call ${name}`, {
          kind: "client",
          // Would point inside this function; skipping it roughly halves the span's cost.
          captureStackTrace: false,
          attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name, "aixfx.runtime.kind": "local" }
        })
      })

    /**
     * Each call on a fiber of its own that starts as the agent: a branch needs no context switch
     * and restore around its call. The caller is in flight while it waits (closing the runtime
     * interrupts it, and so its branches). With a tracer installed, calls go through `call` for
     * their spans.
     */
    const callAll = (names: ReadonlyArray<string>, message: Message, options?: CallOptions) =>
      Effect.withFiberRuntime<Array<Either.Either<Message, AgentError>>>((caller) => {
        if (Traced.isTracing(caller)) return FanOut.either(names.map((name) => call(name, message, options)))
        const callerContext = contextOf(caller)
        const branches = names.map((name): FanOut.Branch<Message, AgentError> => {
          if (stopped) return { effect: Effect.fail(RuntimeStopped.of(name)) }
          const entry = agents.get(name)
          if (entry === undefined) return { effect: Effect.fail(notFound(name)) }
          return { effect: bounded(entry, message, options, false), context: entry.contextFor(callerContext) }
        })
        // The caller keeps its own context: provideOn only records it in flight while it waits.
        return provideOn(caller, callerContext, FanOut.branches(branches), inFlightHooks(caller))
      })

    /** Hooks recording `fiber` as inside a call while an effect runs. */
    const inFlightHooks = (fiber: Fiber.RuntimeFiber<any, any>) => {
      let inFlightCall: InFlightCalls.InFlightCall | undefined
      return {
        before: () => {
          inFlightCall = inFlight.enter(fiber)
        },
        after: () => inFlight.leave(inFlightCall!)
      }
    }

    const send = (name: string, message: Message) =>
      whenRunning(
        Effect.flatMap(lookup(name), (entry) =>
          Queue.offer(entry.mailbox, message).pipe(Effect.asVoid, mailboxClosed(name))
        ),
        name
      )

    const receive = (name: string) =>
      whenRunning(Effect.flatMap(lookup(name), (entry) => Queue.take(entry.mailbox).pipe(mailboxClosed(name))), name)

    /** A mailbox shut down under a waiting sender or receiver means its agent (or the runtime) stopped. */
    const mailboxClosed = (name: string) => <A>(effect: Effect.Effect<A>): Effect.Effect<A, RuntimeStopped> =>
      Effect.catchAllCause(effect, (cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.fail(RuntimeStopped.of(name)) : Effect.failCause(cause as Cause.Cause<never>)
      )

    const list = Effect.suspend(() =>
      Effect.forEach([...agents.values()], (entry) =>
        Effect.map(entry.ready, (ready) => ({ name: entry.name, role: entry.role, description: entry.description, ready, location: "local" }))
      )
    )

    const ready = (name: string) => {
      const entry = agents.get(name)
      return entry === undefined ? Effect.succeed(false) : entry.ready
    }

    return {
      kind: "local",
      register,
      unregister,
      call,
      callAll,
      send,
      receive,
      list,
      ready
    } satisfies Service
  })

/** Provides `AgentRuntime` in process; its scope's close stops every agent and call. */
export const layer = (options: Options = {}): Layer.Layer<AgentRuntime> => Layer.scoped(AgentRuntime, make(options))
