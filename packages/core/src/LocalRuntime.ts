/**
 * The in-process AgentRuntime. Calls run in fibers owned by the runtime's scope, so closing the
 * layer interrupts every call in flight; `maxConcurrentCalls` is a Semaphore over those calls;
 * mailboxes are bounded Queues (a full mailbox makes `send` wait: backpressure, never a drop).
 */
import {
  Cause,
  Context,
  Deferred,
  Duration,
  Effect,
  ExecutionStrategy,
  Exit,
  Fiber,
  FiberSet,
  Layer,
  Queue,
  Ref,
  Scope,
  Tracer
} from "effect"
import { isValidName, validateName, type Agent } from "./Agent.js"
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
import type { Message } from "./Message.js"

export interface Options {
  /** Capacity of each agent's mailbox (default 100). */
  readonly channelBufferSize?: number
  /** Calls allowed in flight at once across the runtime (default: unbounded). */
  readonly maxConcurrentCalls?: number
  /** Default timeout of a call (default: none). */
  readonly callTimeout?: Duration.DurationInput
}

interface Entry {
  readonly name: string
  readonly role: string
  readonly description: string
  readonly execute: (input: Message) => Effect.Effect<Message, AgentError>
  readonly ready: Effect.Effect<boolean>
  readonly mailbox: Queue.Queue<Message>
  readonly scope: Scope.CloseableScope
}

/** Builds the service inside the current scope; the scope's close stops the runtime. */
export const make = (options: Options = {}): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const channelBufferSize = options.channelBufferSize ?? 100
    const defaultTimeout = options.callTimeout === undefined ? undefined : Duration.decode(options.callTimeout)
    const semaphore = options.maxConcurrentCalls === undefined ? undefined : yield* Effect.makeSemaphore(options.maxConcurrentCalls)
    const agents = new Map<string, Entry>()
    const stopped = yield* Ref.make(false)
    const stopSignal = yield* Deferred.make<void>()
    const calls = yield* FiberSet.make<Message, AgentError>()
    const runtimeScope = yield* Effect.scope

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Ref.set(stopped, true)
        yield* Deferred.succeed(stopSignal, undefined)
        yield* FiberSet.clear(calls)
        for (const entry of agents.values()) {
          yield* Queue.shutdown(entry.mailbox)
          yield* Scope.close(entry.scope, Exit.void)
        }
        agents.clear()
      })
    )

    const whenRunning = <A, E, R>(effect: Effect.Effect<A, E, R>, agent?: string): Effect.Effect<A, E | RuntimeStopped, R> =>
      Effect.flatMap(Ref.get(stopped), (isStopped): Effect.Effect<A, E | RuntimeStopped, R> =>
        isStopped ? Effect.fail(RuntimeStopped.of(agent)) : effect
      )

    const lookup = (name: string): Effect.Effect<Entry, AgentNotFound | InvalidAgentName> => {
      const entry = agents.get(name)
      if (entry !== undefined) return Effect.succeed(entry)
      return isValidName(name) ? Effect.fail(AgentNotFound.of(name, [...agents.keys()])) : Effect.fail(InvalidAgentName.of(name))
    }

    const register = <R>(agent: Agent<R>): Effect.Effect<void, RegisterError, R> =>
      whenRunning(
        Effect.gen(function* () {
          yield* validateName(agent.name)
          if (agents.has(agent.name)) return yield* Effect.fail(AgentAlreadyRegistered.of(agent.name))
          // The agent's requirements come from where it is registered, but its spans must hang
          // under each caller's span, so the registration-time parent span is dropped.
          const context = Context.omit(Tracer.ParentSpan)(yield* Effect.context<R>()) as Context.Context<R>
          const scope = yield* Scope.fork(runtimeScope, ExecutionStrategy.sequential)
          const started = yield* agent.start.pipe(Scope.extend(scope), Effect.provide(context), Effect.exit)
          if (Exit.isFailure(started)) {
            yield* Scope.close(scope, started)
            return yield* Effect.failCause(started.cause)
          }
          agents.set(agent.name, {
            name: agent.name,
            role: agent.role,
            description: agent.description,
            execute: (input) => Effect.provide(agent.execute(input), context),
            ready: Effect.provide(agent.ready, context),
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

    const execute = (entry: Entry, message: Message, options?: CallOptions): Effect.Effect<Message, AgentError> => {
      const timeout = options?.timeout === undefined ? defaultTimeout : Duration.decode(options.timeout)
      // The timeout covers the wait for a permit as well: it is the caller's budget for the call.
      const run = semaphore === undefined ? entry.execute(message) : semaphore.withPermits(1)(entry.execute(message))
      return timeout === undefined
        ? run
        : Effect.timeoutFail(run, { duration: timeout, onTimeout: () => CallTimeout.of(entry.name, Duration.toMillis(timeout)) })
    }

    const call = (name: string, message: Message, options?: CallOptions): Effect.Effect<Message, AgentError> =>
      whenRunning(
        Effect.gen(function* () {
          const entry = yield* lookup(name)
          if (!(yield* entry.ready)) return yield* Effect.fail(AgentNotReady.of(name))
          // The call runs in a fiber owned by the runtime, so closing the runtime interrupts it;
          // interrupting the caller interrupts it too.
          const fiber = yield* FiberSet.run(calls, execute(entry, message, options))
          const exit = yield* Fiber.await(fiber).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber)))
          if (Exit.isSuccess(exit)) return exit.value
          if (Cause.isInterruptedOnly(exit.cause) && (yield* Deferred.isDone(stopSignal))) {
            return yield* Effect.fail(RuntimeStopped.of(name))
          }
          return yield* Effect.failCause(exit.cause)
        }),
        name
      ).pipe(
        Effect.withSpan(`agent.call ${name}`, {
          kind: "client",
          // Would point inside this function; skipping it roughly halves the span's cost.
          captureStackTrace: false,
          attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name, "aixfx.runtime.kind": "local" }
        })
      )

    const callAll = (names: ReadonlyArray<string>, message: Message, options?: CallOptions) =>
      Effect.forEach(names, (name) => Effect.either(call(name, message, options)), { concurrency: "unbounded" })

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
