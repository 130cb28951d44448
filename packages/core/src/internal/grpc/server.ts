/**
 * The serving half of a DistributedRuntime node: a grpc-js server exposing the node's local
 * agents through AgentService and the standard Health service. Every call runs as a fiber that
 * the caller's cancellation (or deadline) interrupts; the server's scope closes it gracefully.
 */
import * as grpc from "@grpc/grpc-js"
import { status as Status } from "@grpc/grpc-js"
import { Cause, Deferred, Duration, Effect, Exit, Fiber, FiberId, Option, Redacted, Runtime, type Scope } from "effect"
import { timingSafeEqual } from "node:crypto"
import { type AgentError, RuntimeStopped, Unauthenticated } from "../../AgentError.js"
import type { Service } from "../../AgentRuntime.js"
import type { Message } from "../../Message.js"
import {
  agentService,
  agentServiceName,
  errorToStatus,
  healthService,
  messageFromProto,
  messageToProto,
  type ProtoMessage
} from "./codec.js"
import { type CallEvent, currentEventSink } from "./events.js"
import { withIncomingContext } from "./metadata.js"

export interface ServerOptions {
  readonly listen: string
  readonly token: Redacted.Redacted<string> | undefined
  readonly credentials: grpc.ServerCredentials
  readonly channelOptions: grpc.ChannelOptions
  readonly shutdownGracePeriod: Duration.Duration
}

export interface RunningServer {
  /** `host:port` as bound (the real port when 0 was asked for). */
  readonly endpoint: string
}

const bind = (server: grpc.Server, address: string, credentials: grpc.ServerCredentials) =>
  Effect.async<number, Error>((resume) => {
    server.bindAsync(address, credentials, (error, port) => resume(error === null ? Effect.succeed(port) : Effect.fail(error)))
  })

/** Resolves after `duration` of wall-clock time, whatever clock the fibers run on (tests use TestClock). */
const wallClockSleep = (duration: Duration.Duration) =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), Duration.toMillis(duration))
    return Effect.sync(() => clearTimeout(timer))
  })

export const serve = (local: Service, options: ServerOptions): Effect.Effect<RunningServer, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    // The fibers of calls in flight (a plain set: adding to a FiberSet took a fiber of its own per call).
    const calls = new Set<Fiber.RuntimeFiber<unknown, AgentError>>()
    // Read synchronously by the call observers, so a plain flag.
    let shuttingDown = false
    const server = new grpc.Server(options.channelOptions)

    // The bound address (the real port when 0 was asked for), set once the server is bound.
    let endpoint = options.listen
    const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${Redacted.value(options.token)}`)
    /** The bearer token check; nothing else runs for a call that fails it. */
    const authenticate = (metadata: grpc.Metadata): AgentError | undefined => {
      if (expected === undefined) return undefined
      const [given] = metadata.get("authorization")
      const givenBytes = Buffer.from(typeof given === "string" ? given : "")
      if (givenBytes.length === expected.length && timingSafeEqual(givenBytes, expected)) return undefined
      return new Unauthenticated({
        endpoint,
        message: given === undefined
          ? `The agent node at ${endpoint} requires a bearer token (metadata "authorization: Bearer <token>")`
          : `The bearer token sent to the agent node at ${endpoint} is not valid`
      })
    }

    /**
     * Runs `handle` for one call: authenticated first, inside the caller's trace and call
     * context, interrupted when the caller cancels or its deadline passes.
     */
    const run = <A>(
      call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
      handle: Effect.Effect<A, AgentError>,
      done: (exit: Exit.Exit<A, AgentError>) => void
    ) => {
      const rejected = authenticate(call.metadata)
      if (rejected !== undefined) return done(Exit.fail(rejected))
      const fiber = runFork(withIncomingContext(call.metadata)(handle))
      calls.add(fiber)
      // A signal, not a fiber waiting for the interruption: nobody waits for it here.
      const interrupt = () => fiber.unsafeInterruptAsFork(FiberId.none)
      const deadline = call.getDeadline()
      const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline
      const timer = Number.isFinite(deadlineMs) ? setTimeout(interrupt, Math.max(0, deadlineMs - Date.now())) : undefined
      call.on("cancelled", interrupt)
      fiber.addObserver((exit) => {
        calls.delete(fiber)
        clearTimeout(timer)
        // grpc-js reports every finished call as cancelled too; the call is over by then.
        call.removeListener("cancelled", interrupt)
        if (!Exit.isInterrupted(exit)) return done(exit)
        // Interrupted: by the caller (nobody to answer) or by the node stopping (answer RuntimeStopped).
        if (shuttingDown && !call.cancelled) done(Exit.fail(RuntimeStopped.of()))
      })
    }

    const answer = <A, R>(callback: grpc.sendUnaryData<R>, toResponse: (a: A) => R) => (exit: Exit.Exit<A, AgentError>) =>
      Exit.match(exit, {
        onSuccess: (a) => callback(null, toResponse(a)),
        onFailure: (cause) => callback(statusOfCause(cause))
      })

    const handlers: grpc.UntypedServiceImplementation = {
      Execute: (call: grpc.ServerUnaryCall<{ agent: string; message: ProtoMessage }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        run(call, local.call(call.request.agent, messageFromProto(call.request.message)), answer(callback, (m: Message) => ({ message: messageToProto(m) }))),
      ExecuteStream: (call: grpc.ServerWritableStream<{ agent: string; message: ProtoMessage }, unknown>) => {
        const agent = call.request.agent
        const emit = (event: CallEvent) =>
          Effect.sync(() => {
            if (!call.cancelled) call.write(event._tag === "Progress" ? { progress: event } : { token: event })
          })
        const handle = emit({ _tag: "Progress", agent, stage: "started", detail: "" }).pipe(
          Effect.zipRight(local.call(agent, messageFromProto(call.request.message))),
          Effect.locally(currentEventSink, Option.some(emit))
        )
        run(call, handle, (exit) =>
          Exit.match(exit, {
            onSuccess: (message) => {
              call.write({ result: messageToProto(message) })
              call.end()
            },
            onFailure: (cause) => call.emit("error", statusOfCause(cause))
          }))
      },
      ListAgents: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        run(call, local.list, answer(callback, (agents) => ({ agents: agents.map(({ location: _, ...info }) => info) }))),
      Send: (call: grpc.ServerUnaryCall<{ agent: string; message: ProtoMessage }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        run(call, local.send(call.request.agent, messageFromProto(call.request.message)), answer(callback, () => ({}))),
      Receive: (call: grpc.ServerUnaryCall<{ agent: string }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        run(call, local.receive(call.request.agent), answer(callback, (m: Message) => ({ message: messageToProto(m) })))
    }

    /** Health: the node (service "" or AgentService) serves until it stops; an agent's name reports its readiness. */
    const health = (service: string): Effect.Effect<"SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN"> =>
      Effect.gen(function* () {
        if (shuttingDown) return "NOT_SERVING"
        if (service === "" || service === agentServiceName) return "SERVING"
        const agents = yield* local.list
        const agent = agents.find((a) => a.name === service)
        if (agent === undefined) return "SERVICE_UNKNOWN"
        return agent.ready ? "SERVING" : "NOT_SERVING"
      })

    const healthHandlers: grpc.UntypedServiceImplementation = {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        runFork(health(call.request.service)).addObserver((exit) => {
          if (Exit.isFailure(exit)) return callback({ code: Status.INTERNAL, details: Cause.pretty(exit.cause) })
          if (exit.value === "SERVICE_UNKNOWN") {
            return callback({ code: Status.NOT_FOUND, details: `Unknown service or agent "${call.request.service}"` })
          }
          callback(null, { status: exit.value })
        })
    }

    server.addService(agentService, handlers)
    server.addService(healthService, healthHandlers)
    const port = yield* bind(server, options.listen, options.credentials)
    const host = options.listen.slice(0, options.listen.lastIndexOf(":"))
    endpoint = `${host}:${port}`

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        // No new calls; calls in flight get the grace period to finish, then are interrupted
        // (and answered with RuntimeStopped) before the connections are torn down.
        shuttingDown = true
        const drained = yield* Deferred.make<void>()
        server.tryShutdown(() => runFork(Deferred.succeed(drained, undefined)))
        // Finalizers run uninterruptibly; the race must be able to interrupt its loser.
        const within = (duration: Duration.Duration) =>
          Effect.interruptible(Effect.raceFirst(Effect.as(Deferred.await(drained), true), Effect.as(wallClockSleep(duration), false)))
        if (yield* within(options.shutdownGracePeriod)) return
        yield* Fiber.interruptAll([...calls])
        // Let the RuntimeStopped answers reach the callers before the connections are cut.
        yield* within(Duration.millis(500))
        server.forceShutdown()
      })
    )
    return { endpoint }
  })

/** The status for a failed call: the typed error when there is one, INTERNAL for a defect. */
const statusOfCause = (cause: Cause.Cause<AgentError>): grpc.StatusObject => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return errorToStatus(failure.value)
  if (Cause.isInterruptedOnly(cause)) return errorToStatus(RuntimeStopped.of())
  return { code: Status.INTERNAL, details: Cause.pretty(cause), metadata: new grpc.Metadata() }
}
