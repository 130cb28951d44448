/**
 * What every pattern shares: it is an `Agent` (so it can be registered, called by name and nested),
 * it refers to its agents by name through `AgentRuntime` (so it runs unchanged on LocalRuntime and
 * DistributedRuntime), and it takes the same `timeout` / `retry` options for the whole run and for
 * each step. Its reply is a new Message whose `metadata.trace` records what it decided.
 */
import * as Agent from "@aixfx/core/Agent"
import * as AgentRuntime from "@aixfx/core/AgentRuntime"
import * as CallContext from "@aixfx/core/CallContext"
import * as FanOut from "@aixfx/core/FanOut"
import type * as Json from "@aixfx/core/Json"
import * as Message from "@aixfx/core/Message"
import * as Traced from "@aixfx/core/Traced"
import { type AgentError, AgentNotFound, CallTimeout, PatternTimeout, PayloadDecodeError } from "@aixfx/core/AgentError"
import { Duration, Effect, Either, ParseResult, Schedule, Schema } from "effect"

/** An agent as a pattern refers to it: its registered name, or the agent itself (by its name). */
export type AgentRef = string | { readonly name: string }

export const nameOf = (ref: AgentRef): string => (typeof ref === "string" ? ref : ref.name)

export type PatternKind = "parallel" | "router" | "swarm" | "rag" | "reflection" | "hierarchical" | "ensemble"

export interface CommonOptions {
  /** The pattern's agent name (the same rules as any agent name). */
  readonly name: string
  readonly role?: string
  readonly description?: string
  /** Bound on the whole run; exceeding it fails with `PatternTimeout`. */
  readonly timeout?: Duration.DurationInput
  /** Retries the whole run on transient failures (see `isRetryable`). */
  readonly retry?: Schedule.Schedule<unknown, AgentError>
  /** Bound on each step's agent call; exceeding it fails that step with `CallTimeout`. */
  readonly stepTimeout?: Duration.DurationInput
  /** Retries each step's agent call on transient failures (see `isRetryable`). */
  readonly stepRetry?: Schedule.Schedule<unknown, AgentError>
  /**
   * Agents safe to run twice for one request (every agent when `true`; default none). A call that
   * failed in transport after its request may have reached the node is retried only for these.
   */
  readonly idempotent?: true | ReadonlyArray<AgentRef>
}

/** Failures worth retrying: timeouts, transport and provider trouble. Logic errors are not. */
export const isTransient = (error: AgentError): boolean => {
  switch (error._tag) {
    case "CallTimeout":
    case "PatternTimeout":
    case "TransportError":
    case "RateLimited":
    case "ProviderUnavailable":
    case "LlmTimeout":
    case "NetworkError":
    case "AgentNotReady":
      return true
    default:
      return false
  }
}

/**
 * What `retry` and `stepRetry` retry: transient failures, except a `TransportError` whose request
 * may have reached the node (the agent may have run: a retry could run it twice), unless that agent
 * is marked `idempotent`. For a step's call to `called`, a `TransportError` of another agent (one
 * `called` was calling in turn, here or on its node) means `called` did run: it is retried only
 * when `called` is marked `idempotent`.
 */
export const isRetryable = (options: Pick<CommonOptions, "idempotent">, called?: string) => {
  const idempotent = options.idempotent
  const safeToRepeat = idempotent === true
    ? () => true
    : ((names: ReadonlySet<string>) => (agent: string) => names.has(agent))(new Set((idempotent ?? []).map(nameOf)))
  return (error: AgentError): boolean => {
    if (!isTransient(error) || error._tag !== "TransportError") return isTransient(error)
    if (called !== undefined && error.agent !== called) return safeToRepeat(called)
    return !error.mayHaveRun || safeToRepeat(error.agent)
  }
}

const withRetry = <A, R>(
  effect: Effect.Effect<A, AgentError, R>,
  schedule: Schedule.Schedule<unknown, AgentError> | undefined,
  options: CommonOptions,
  called?: string
) => (schedule === undefined ? effect : Effect.retry(effect, { schedule, while: isRetryable(options, called) }))

/** The trace a pattern leaves in its reply's metadata (`metadata.trace`). */
export type Trace = { readonly kind: PatternKind; readonly name: string } & Json.JsonObject

/** The pattern's reply: a new message answering `input`, with the pattern's trace. */
export const reply = (input: Message.Message, payload: string, trace: Trace, type = "text"): Message.Message =>
  Message.reply(input, { payload, type, metadata: { trace } })

/**
 * A typed reader of a pattern's outcome: decodes its reply's `metadata.trace` with `schema`. A
 * reply that is not that pattern's fails with `PayloadDecodeError` naming the field.
 */
export const outcomeOf = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(schema)
  return (reply: Message.Message): Effect.Effect<A, PayloadDecodeError> =>
    Effect.catchTag(decode(reply.metadata["trace"]), "ParseError", (error) => {
      const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
      const path = ["metadata", "trace", ...(first?.path.map(String) ?? [])].join(".")
      const issue = first?.message ?? error.message
      return Effect.fail(new PayloadDecodeError({ messageId: reply.id, path, issue, message: `Message ${reply.id}: not this pattern's outcome at ${path}: ${issue}` }))
    })
}

/**
 * Calls one agent as a named step of a pattern: traced as `step <pattern>.<step>`, bounded by
 * `stepTimeout`, retried by `stepRetry`.
 */
export const callStep = (
  options: CommonOptions,
  step: string,
  agent: AgentRef,
  message: Message.Message
): Effect.Effect<Message.Message, AgentError, AgentRuntime.AgentRuntime> =>
  withRetry(AgentRuntime.call(nameOf(agent), message, stepCallOptions(options, step)), options.stepRetry, options, nameOf(agent)).pipe(
    Effect.mapError((error) => namingStep(options, step, nameOf(agent), error)),
    Traced.span(`step ${options.name}.${step}`, {
      captureStackTrace: false,
      attributes: { "aixfx.step.name": step, "aixfx.pattern.name": options.name, "aixfx.step.agent": nameOf(agent) }
    })
  )

/**
 * An `AgentNotFound` for the step's own agent says which pattern and step asked for it (one from
 * deeper down already names its own pattern and step).
 */
const namingStep = (options: CommonOptions, step: string, agent: string, error: AgentError): AgentError =>
  error._tag === "AgentNotFound" && error.agent === agent
    ? new AgentNotFound({ agent, available: error.available, message: `Pattern "${options.name}", step ${step}: ${error.message}` })
    : error

/** The call's options: the step's name (a durable run's journal key) and its timeout. */
const stepCallOptions = (options: CommonOptions, step?: string) =>
  options.stepTimeout === undefined ? (step === undefined ? undefined : { step }) : step === undefined ? { timeout: options.stepTimeout } : { step, timeout: options.stepTimeout }

/**
 * Calls `agents` at once, each as the step of its name (as `callStep` does); every outcome, in
 * order. With no step spans to make (no tracer) and no step retries, the runtime's `callAll` runs
 * them: on LocalRuntime each call then starts on a fiber of its own as its agent, the cheapest
 * fan-out there is.
 */
export const callSteps = (
  options: CommonOptions,
  agents: ReadonlyArray<string>,
  message: Message.Message
): Effect.Effect<ReadonlyArray<Either.Either<Message.Message, AgentError>>, never, AgentRuntime.AgentRuntime> =>
  Effect.withFiberRuntime((fiber) =>
    options.stepRetry === undefined && !Traced.isTracing(fiber)
      ? Effect.map(AgentRuntime.callAll(agents, message, stepCallOptions(options)), (outcomes) =>
        // Successes as they are: a large fan-out's outcomes are not copied to rename no failure.
        outcomes.map((outcome, i) => (Either.isRight(outcome) ? outcome : Either.left(namingStep(options, agents[i]!, agents[i]!, outcome.left))))
      )
      : FanOut.either(agents.map((agent) => callStep(options, agent, agent, message)))
  )

/** Whether a step failure came from the step's own timeout (rather than the agent's). */
export const isStepTimeout = (error: AgentError): error is CallTimeout => error._tag === "CallTimeout"

/**
 * Makes a pattern agent. `run` gets the input and does the work; this adds the pattern span
 * (`pattern.<kind> <name>`), the pattern path in the call context (cost attribution, depth
 * limits), the whole-run timeout and retry.
 */
export const make = <R>(
  kind: PatternKind,
  options: CommonOptions,
  run: (input: Message.Message) => Effect.Effect<Message.Message, AgentError, R>
): Agent.Agent<R> => {
  const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)
  const bounded = (input: Message.Message) =>
    timeout === undefined
      ? run(input)
      : Effect.timeoutFail(run(input), {
        duration: timeout,
        onTimeout: () =>
          new PatternTimeout({
            pattern: options.name,
            timeoutMs: Duration.toMillis(timeout),
            message: `Pattern "${options.name}" (${kind}) did not finish within ${Duration.toMillis(timeout)} ms`
          })
      })
  const inPattern = CallContext.withPattern(options.name)
  return Agent.make({
    name: options.name,
    role: options.role ?? `${kind} pattern`,
    ...(options.description === undefined ? {} : { description: options.description }),
    kind,
    execute: (input) =>
      withRetry(bounded(input), options.retry, options).pipe(
        inPattern,
        Traced.span(`pattern.${kind} ${options.name}`, {
          captureStackTrace: false,
          attributes: {
            "aixfx.pattern.kind": kind,
            "aixfx.pattern.name": options.name,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": options.name
          }
        })
      )
  })
}

/** The depth of pattern nesting at this point (1 inside a top-level pattern). */
export const depth: Effect.Effect<number> = Effect.map(CallContext.get, (ctx) => ctx.patternPath.length)
