/**
 * The serving half of a DistributedRuntime node: a grpc-js server exposing the node's local
 * agents through AgentService and the standard Health service. Every call is authenticated before
 * its request is decoded, runs as a fiber that the caller's cancellation (or deadline) interrupts,
 * and ends with a typed error when it fails; the server's scope closes it gracefully.
 */
import * as grpc from "@grpc/grpc-js"
import { Cause, Context, Duration, Effect, Either, Exit, Fiber, FiberId, Option, Redacted, Runtime, type Scope } from "effect"
import { timingSafeEqual } from "node:crypto"
import { type AgentError, AgentNotFound, CallTimeout, InternalError, type MalformedRequest, RuntimeStopped, Unauthenticated } from "../../AgentError.js"
import type { Service } from "../../AgentRuntime.js"
import * as CostLedger from "../../CostLedger.js"
import type { Message } from "../../Message.js"
import * as CancelledCosts from "./cancelledCosts.js"
import {
  agentServiceAsBytes,
  agentServiceName,
  callCostsOf,
  costsTrailer,
  type DecodedRequest,
  decodeHealthRequest,
  decodeRequest,
  encodeResponse,
  type ErrorCodec,
  healthServiceAsBytes,
  messageToProto,
  type Method,
  tooLarge
} from "./codec.js"
import { type CallEvent, currentEventSink } from "./events.js"
import * as TraceContext from "../../TraceContext.js"
import { withSession } from "../session.js"

export interface ServerOptions {
  readonly listen: string
  readonly token: Redacted.Redacted<string> | undefined
  readonly credentials: grpc.ServerCredentials
  readonly channelOptions: grpc.ChannelOptions
  readonly shutdownGracePeriod: Duration.Duration
  readonly maxMessageBytes: number
  readonly errors: ErrorCodec
  /** How often `Health.Watch` looks at an agent's readiness again. */
  readonly healthPollInterval?: Duration.Duration
}

export interface RunningServer {
  /** `host:port` as bound (the real port when 0 was asked for). */
  readonly endpoint: string
}

const bind = (server: grpc.Server, address: string, credentials: grpc.ServerCredentials) =>
  Effect.async<number, Error>((resume) => {
    server.bindAsync(address, credentials, (error, port) => resume(error === null ? Effect.succeed(port) : Effect.fail(error)))
  })

/**
 * Waits for `done` (called back once) or `duration` of wall-clock time, whichever comes first;
 * true when `done` came. Plain callbacks, no race of fibers: it runs in a finalizer of a scope
 * that an interruption is closing (SIGTERM, runMain), where nothing may be interrupted.
 */
const waitFor = (start: (done: () => void) => void, duration: Duration.Duration) =>
  Effect.async<boolean>((resume) => {
    let settled = false
    const settle = (value: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(Effect.succeed(value))
    }
    const timer = setTimeout(() => settle(false), Duration.toMillis(duration))
    start(() => settle(true))
  })

/**
 * How long before the caller's deadline a served call is ended with `CallTimeout`: a twentieth of
 * the time it had, within 2 ms and 100 ms — enough for the answer to cross a network, little of
 * the agent's time.
 */
const answerAheadOfDeadlineMs = (timeLeftMs: number): number => Math.min(100, Math.max(2, timeLeftMs / 20))

/**
 * A served call's own ledger: its entries go back to the caller (and on to the node's ledger, if
 * it has one). Made here, outside the call's handler, so that its closures hold only the entries:
 * closures made inside the handler would share its scope and keep the grpc call (its stream,
 * buffers and headers) reachable for as long as the ledger is (the fiber's context, and the
 * contexts cached from it): about 7 KB per call then outlived young-generation collections, to be
 * promoted and freed only by full ones (measured with a bare grpc-js client: the serving node's CPU
 * per call fell by about 30%).
 */
const callLedger = (nodeLedger: CostLedger.Service | undefined) => {
  const costs: Array<CostLedger.Entry> = []
  const ledger: CostLedger.Service = {
    record: (entry) => {
      const push = Effect.sync(() => void costs.push(entry))
      return nodeLedger === undefined ? push : Effect.zipRight(push, nodeLedger.record(entry))
    },
    entries: Effect.sync(() => costs),
    clear: Effect.sync(() => void costs.splice(0))
  }
  return { costs, ledger }
}

type ServingStatus = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN"

export const serve = (local: Service, options: ServerOptions): Effect.Effect<RunningServer, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    // The node's own ledger, if it has one: served calls' costs are recorded there too.
    const nodeLedger = Option.getOrUndefined(Context.getOption(runtime.context, CostLedger.CostLedger))
    // The fibers of calls in flight (a plain set: adding to a FiberSet took a fiber of its own per call).
    const calls = new Set<Fiber.RuntimeFiber<unknown, AgentError>>()
    const cancelledCosts = CancelledCosts.make()
    // Health watchers to tell that the node stops.
    const watchers = new Set<() => void>()
    // Read synchronously by the call observers, so a plain flag.
    let shuttingDown = false
    const server = new grpc.Server(options.channelOptions)
    const { errors, maxMessageBytes } = options

    // The bound address (the real port when 0 was asked for), set once the server is bound.
    let endpoint = options.listen
    const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${Redacted.value(options.token)}`)
    /** The bearer token check; nothing else runs (nothing is even decoded) for a call that fails it. */
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
     * A defect is logged here in full under a fresh incident id; the caller gets only the id and
     * a message (no stack, no server paths).
     */
    const incident = (cause: Cause.Cause<unknown>, method: string, agent: string): InternalError => {
      const incidentId = crypto.randomUUID()
      runFork(
        Effect.logError(`${method} of agent "${agent}" died (incident ${incidentId})`, cause).pipe(
          Effect.annotateLogs({ incidentId, agent, method })
        )
      )
      return new InternalError({
        incidentId,
        agent,
        message: `Agent "${agent}" failed unexpectedly on the node at ${endpoint}; the node logged it as incident ${incidentId}`
      })
    }

    /** The failure a call ended with: its typed error, RuntimeStopped when interrupted, an incident for a defect. */
    const errorOf = (cause: Cause.Cause<AgentError>, method: string, agent: string): AgentError => {
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure)) return failure.value
      if (Cause.isInterruptedOnly(cause)) return RuntimeStopped.of(agent)
      return incident(cause, method, agent)
    }

    interface Ending<A> {
      readonly exit: Exit.Exit<A, AgentError>
      /** The ledger entries of the model calls made while serving the call. */
      readonly costs: ReadonlyArray<CostLedger.Entry>
      /** The agent the request names ("?" when it could not be read). */
      readonly agent: string
    }

    /**
     * Runs one call: the token checked, then the request's size, then the request decoded; the
     * handler runs inside the caller's trace and call context, with a ledger of its own whose
     * entries go back to the caller (and on to this node's ledger, if it has one), and is
     * interrupted when the caller cancels or its deadline passes.
     */
    const run = <A>(
      method: Method,
      call: grpc.ServerUnaryCall<Buffer, unknown> | grpc.ServerWritableStream<Buffer, unknown>,
      handle: (request: DecodedRequest) => Effect.Effect<A, AgentError>,
      done: (ending: Ending<A>) => void
    ) => {
      const end = (exit: Exit.Exit<A, AgentError>, agent = "?", costs: ReadonlyArray<CostLedger.Entry> = []) => done({ exit, costs, agent })
      const rejected = authenticate(call.metadata)
      if (rejected !== undefined) return end(Exit.fail(rejected))
      const bytes = call.request
      const decoded = decodeRequest(method, bytes)
      const agent = Either.isRight(decoded) ? decoded.right.agent : "?"
      if (bytes.length > maxMessageBytes) return end(Exit.fail(tooLarge(agent, bytes.length, maxMessageBytes, "to")), agent)
      if (Either.isLeft(decoded)) return end(Exit.fail(decoded.left))
      const request = decoded.right
      const { costs, ledger } = callLedger(nodeLedger)
      const callKey = method === "Execute" ? CancelledCosts.callKey(request.agent, request.message!.id) : undefined
      if (callKey !== undefined) cancelledCosts.started(callKey)
      // The handler's fiber starts with its whole context, made in one copy of the node's: the
      // caller's span and call context, and the call's ledger (providing each around the handler
      // copied the context once per service and kept a restore frame for each).
      const remote = TraceContext.remoteOf(call.metadata.getMap())
      const context = Context.merge(runtime.context, Context.add(remote.services, CostLedger.CostLedger, ledger))
      const fiber = Runtime.runFork(Runtime.make({ context, fiberRefs: runtime.fiberRefs, runtimeFlags: runtime.runtimeFlags }))(
        withSession(remote.session)(handle(request))
      )
      calls.add(fiber)
      // A signal, not a fiber waiting for the interruption: nobody waits for it here.
      const interrupt = () => fiber.unsafeInterruptAsFork(FiberId.none)
      const deadline = call.getDeadline()
      const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline
      const timeLeftMs = deadlineMs - Date.now()
      let timedOut = false
      // Ended a little before the caller's deadline, so that its CallTimeout and the costs of what
      // ran reach the caller before the caller gives up on the call (and on its trailers).
      const timer = Number.isFinite(timeLeftMs)
        ? setTimeout(() => {
          timedOut = true
          interrupt()
        }, Math.max(0, timeLeftMs - answerAheadOfDeadlineMs(timeLeftMs)))
        : undefined
      call.on("cancelled", interrupt)
      fiber.addObserver((exit) => {
        calls.delete(fiber)
        clearTimeout(timer)
        // grpc-js reports every finished call as cancelled too; the call is over by then.
        call.removeListener("cancelled", interrupt)
        if (callKey !== undefined) cancelledCosts.ended(callKey, costs, call.cancelled)
        if (Exit.isInterrupted(exit) && timedOut && !call.cancelled) {
          return end(Exit.fail(CallTimeout.of(agent, Math.round(timeLeftMs))), agent, costs)
        }
        // Interrupted by the caller: nobody to answer. By the node stopping: answered RuntimeStopped.
        if (Exit.isInterrupted(exit) && (!shuttingDown || call.cancelled)) return
        end(exit, agent, costs)
      })
    }

    /** Ends a unary call: the reply (if it fits) or the typed error, with the call's costs in the trailers. */
    const unary = <A>(method: Method, handle: (request: DecodedRequest) => Effect.Effect<A, AgentError>, toResponse: (a: A) => object) =>
    (call: grpc.ServerUnaryCall<Buffer, unknown>, callback: grpc.sendUnaryData<Buffer>) =>
      run(method, call, handle, ({ agent, costs, exit }) => {
        const trailers = costsTrailer(costs)
        if (Exit.isFailure(exit)) return callback(errors.toStatus(errorOf(exit.cause, method, agent), trailers))
        const bytes = encodeResponse(method, toResponse(exit.value))
        if (bytes.length > maxMessageBytes) return callback(errors.toStatus(tooLarge(agent, bytes.length, maxMessageBytes, "from"), trailers))
        callback(null, bytes, trailers)
      })

    const replyOf = (message: Message) => ({ message: messageToProto(message) })

    const executeStream = (call: grpc.ServerWritableStream<Buffer, unknown>) => {
      const method = "ExecuteStream"
      /** Writes one event; waits while the caller's side is full (write backpressure). */
      const write = (event: object) =>
        Effect.async<void>((resume) => {
          if (call.cancelled || call.write(encodeResponse(method, event))) return resume(Effect.void)
          call.once("drain", () => resume(Effect.void))
        })
      const emit = (event: CallEvent) => write(event._tag === "Progress" ? { progress: event } : { token: event })
      const handle = ({ agent, message }: DecodedRequest) =>
        emit({ _tag: "Progress", agent, stage: "started", detail: "" }).pipe(
          Effect.zipRight(local.call(agent, message!)),
          Effect.locally(currentEventSink, Option.some(emit))
        )
      run(method, call, handle, ({ agent, costs, exit }) => {
        const trailers = costsTrailer(costs)
        const fail = (error: AgentError) => call.emit("error", errors.toStatus(error, trailers))
        if (Exit.isFailure(exit)) return fail(errorOf(exit.cause, method, agent))
        const result = encodeResponse(method, { result: messageToProto(exit.value) })
        if (result.length > maxMessageBytes) return fail(tooLarge(agent, result.length, maxMessageBytes, "from"))
        call.write(result)
        call.end(trailers)
      })
    }

    const handlers: grpc.UntypedServiceImplementation = {
      Execute: unary("Execute", ({ agent, message }) => local.call(agent, message!), replyOf),
      ExecuteStream: executeStream,
      ListAgents: unary("ListAgents", () => local.list, (agents) => ({ agents: agents.map(({ location: _, ...info }) => info) })),
      Send: unary("Send", ({ agent, message }) => local.send(agent, message!), () => ({})),
      Receive: unary("Receive", ({ agent }) => local.receive(agent), replyOf),
      CallCosts: unary("CallCosts", ({ agent, messageId }) => {
        const key = CancelledCosts.callKey(agent, messageId)
        return key === undefined ? Effect.succeed([]) : cancelledCosts.take(key)
      }, callCostsOf)
    }

    /**
     * Health: the node (service "" or AgentService) serves until it stops; an agent's name reports
     * its readiness, and only to a caller with the token when the node has one (a caller without
     * it learns nothing about which agents exist).
     */
    const health = (
      method: "Check" | "Watch",
      bytes: Buffer,
      metadata: grpc.Metadata
    ): Effect.Effect<ServingStatus, Unauthenticated | MalformedRequest | AgentNotFound> =>
      Effect.gen(function* () {
        const service = yield* decodeHealthRequest(method, bytes)
        if (shuttingDown) return "NOT_SERVING"
        if (service === "" || service === agentServiceName) return "SERVING"
        const rejected = authenticate(metadata)
        if (rejected !== undefined) return yield* Effect.fail(rejected as Unauthenticated)
        const agents = yield* local.list
        const agent = agents.find((a) => a.name === service)
        if (agent === undefined) {
          // Check answers NOT_FOUND (with the typed error); Watch keeps watching, as the standard says.
          if (method === "Check") return yield* Effect.fail(AgentNotFound.of(service, agents.map((a) => a.name)))
          return "SERVICE_UNKNOWN"
        }
        return agent.ready ? "SERVING" : "NOT_SERVING"
      })

    const healthFailure = (cause: Cause.Cause<AgentError>): grpc.StatusObject => {
      const failure = Cause.failureOption(cause)
      return errors.toStatus(Option.isSome(failure) ? failure.value : incident(cause, "Health", ""))
    }

    const pollInterval = Duration.toMillis(options.healthPollInterval ?? Duration.seconds(1))

    const healthHandlers: grpc.UntypedServiceImplementation = {
      Check: (call: grpc.ServerUnaryCall<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        runFork(health("Check", call.request, call.metadata)).addObserver((exit) => {
          if (Exit.isFailure(exit)) return callback(healthFailure(exit.cause))
          callback(null, { status: exit.value })
        }),
      /**
       * The status now, then every change (readiness is looked at every `healthPollInterval`),
       * until the caller cancels; when the node stops, NOT_SERVING and the end of the stream.
       */
      Watch: (call: grpc.ServerWritableStream<Buffer, unknown>) => {
        let last: ServingStatus | undefined
        let timer: ReturnType<typeof setTimeout> | undefined
        const stop = () => {
          clearTimeout(timer)
          watchers.delete(onShutdown)
        }
        const onShutdown = () => {
          stop()
          if (!call.cancelled) {
            // Only a change is sent: an agent that was not serving already is not told again.
            if (last !== "NOT_SERVING") call.write({ status: "NOT_SERVING" })
            call.end()
          }
        }
        const look = () =>
          runFork(health("Watch", call.request, call.metadata)).addObserver((exit) => {
            if (call.cancelled || shuttingDown) return
            if (Exit.isFailure(exit)) {
              stop()
              return call.emit("error", healthFailure(exit.cause))
            }
            if (exit.value !== last) {
              last = exit.value
              call.write({ status: exit.value })
            }
            timer = setTimeout(look, pollInterval)
          })
        watchers.add(onShutdown)
        call.on("cancelled", stop)
        look()
      }
    }

    server.addService(agentServiceAsBytes, handlers)
    server.addService(healthServiceAsBytes, healthHandlers)
    const port = yield* bind(server, options.listen, options.credentials)
    const host = options.listen.slice(0, options.listen.lastIndexOf(":"))
    endpoint = `${host}:${port}`

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        // No new calls; calls in flight get the grace period to finish, then are interrupted
        // (and answered with RuntimeStopped) before the connections are torn down. This runs
        // whether the scope is closed by hand or by interrupting the program (SIGTERM, runMain).
        shuttingDown = true
        for (const watcher of [...watchers]) watcher()
        let drained = false
        const onDrained: Array<() => void> = []
        server.tryShutdown(() => {
          drained = true
          for (const f of onDrained) f()
        })
        const untilDrained = (done: () => void) => (drained ? done() : onDrained.push(done))
        if (yield* waitFor(untilDrained, options.shutdownGracePeriod)) return
        yield* Fiber.interruptAll([...calls])
        // Let the RuntimeStopped answers reach the callers before the connections are cut.
        yield* waitFor(untilDrained, Duration.millis(500))
        server.forceShutdown()
      })
    )
    return { endpoint }
  })
