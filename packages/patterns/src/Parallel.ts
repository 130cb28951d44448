/**
 * Parallel: every agent gets the same input at once (bounded by `concurrency`), and an aggregator
 * turns their replies into one answer. Failures either stop the run at once (`failFast`) or are
 * collected, and the run fails only when fewer than `minSuccesses` agents answered.
 */
import type * as Agent from "@aixfx/core/Agent"
import type * as AgentRuntime from "@aixfx/core/AgentRuntime"
import type * as Json from "@aixfx/core/Json"
import type * as Message from "@aixfx/core/Message"
import { type AgentError, InsufficientResults } from "@aixfx/core/AgentError"
import { Deferred, Effect, Either, Schema } from "effect"
import * as Voting from "./internal/voting.js"
import * as Pattern from "./Pattern.js"

/** One agent's reply. */
export interface Success {
  readonly agent: string
  readonly output: Message.Message
}

/** One agent's failure. */
export interface Failure {
  readonly agent: string
  readonly error: AgentError
}

/** How the replies become one answer: its payload, and what the trace should record about it. */
export interface Aggregated {
  readonly payload: string
  readonly type?: string
  readonly trace?: Json.JsonObject
}

/** A custom aggregator: the successful replies, in the order of `agents`. */
export type Combine = (results: ReadonlyArray<Success>) => string | Aggregated | Effect.Effect<string | Aggregated, AgentError>

export type Aggregator =
  | { readonly _tag: "Concat"; readonly separator: string }
  | { readonly _tag: "Json" }
  | { readonly _tag: "FirstSuccess" }
  | { readonly _tag: "Majority" }
  | { readonly _tag: "Custom"; readonly combine: Combine }

/** The payloads in agent order, joined by `separator` (the default aggregator, with "\n\n"). */
export const concat = (separator = "\n\n"): Aggregator => ({ _tag: "Concat", separator })
/** A JSON object of payloads keyed by agent name, keys in the order of `agents`. */
export const json: Aggregator = { _tag: "Json" }
/** The first reply to arrive; the agents still running are interrupted. */
export const firstSuccess: Aggregator = { _tag: "FirstSuccess" }
/** The most common answer after normalisation (ties: the answer that sorts first). */
export const majority: Aggregator = { _tag: "Majority" }
/** Any function of the successful replies. */
export const custom = (combine: Combine): Aggregator => ({ _tag: "Custom", combine })

export interface Options extends Pattern.CommonOptions {
  readonly agents: ReadonlyArray<Pattern.AgentRef>
  /** Agents running at once (default: all of them). */
  readonly concurrency?: number | "unbounded"
  /** Interrupt the others and fail at the first failure (default false). */
  readonly failFast?: boolean
  /** Successful replies needed, else `InsufficientResults` (default 1). */
  readonly minSuccesses?: number
  /** How the replies become the answer (default `concat("\n\n")`); a function means `custom(f)`. */
  readonly aggregate?: Aggregator | Combine
}

const failureJson = (failure: Failure) => ({ step: failure.agent, tag: failure.error._tag, message: failure.error.message })

const describeFailures = (failures: ReadonlyArray<Failure>) =>
  failures.map((f) => `${f.agent}: ${f.error._tag}: ${f.error.message}`).join("; ")

const combineWith = (aggregator: Aggregator, successes: ReadonlyArray<Success>): Effect.Effect<Aggregated, AgentError> => {
  switch (aggregator._tag) {
    case "Concat":
      return Effect.succeed({ payload: successes.map((s) => s.output.payload).join(aggregator.separator) })
    case "Json":
      return Effect.succeed({
        payload: JSON.stringify(Object.fromEntries(successes.map((s) => [s.agent, s.output.payload]))),
        type: "json"
      })
    case "FirstSuccess":
      return Effect.succeed({ payload: successes[0]!.output.payload, type: successes[0]!.output.type, trace: { winner: successes[0]!.agent } })
    case "Majority": {
      const votes = successes.map((s) => ({ agent: s.agent, answer: Voting.normalize(s.output.payload), score: 1 }))
      const scores = Voting.tally(votes)
      const winner = Voting.leader(scores)!
      // The payload is the winning answer as its first voter (in agent order) wrote it.
      const first = successes[votes.findIndex((v) => v.answer === winner.answer)]!
      return Effect.succeed({ payload: first.output.payload, trace: { winner: winner.answer, tally: Voting.toRecord(scores) } })
    }
    case "Custom": {
      const out = aggregator.combine(successes)
      return Effect.map(Effect.isEffect(out) ? out : Effect.succeed(out), (a) => (typeof a === "string" ? { payload: a } : a))
    }
  }
}

const aggregatorName = (aggregator: Aggregator) => (aggregator._tag === "Concat" ? "concat" : aggregator._tag.charAt(0).toLowerCase() + aggregator._tag.slice(1))

/** The Parallel pattern as an agent. */
export const make = (options: Options): Agent.Agent<AgentRuntime.AgentRuntime> => {
  const agents = options.agents.map(Pattern.nameOf)
  const concurrency = options.concurrency ?? "unbounded"
  // An answer needs at least one reply, whatever minSuccesses says.
  const minSuccesses = Math.max(1, options.minSuccesses ?? 1)
  const aggregator: Aggregator =
    options.aggregate === undefined ? concat() : typeof options.aggregate === "function" ? custom(options.aggregate) : options.aggregate

  const insufficient = (required: number, succeeded: number, failures: ReadonlyArray<Failure>, why: string) =>
    new InsufficientResults({
      pattern: options.name,
      required,
      succeeded,
      failures: failures.map(failureJson),
      message: `Parallel "${options.name}": ${why}; failures: ${describeFailures(failures) || "none"}`
    })

  const call = (input: Message.Message, agent: string) => Pattern.callStep(options, agent, agent, input)

  /** Every agent to the end; failures are collected. */
  const collectAll = (input: Message.Message) =>
    Effect.map(
      concurrency === "unbounded"
        ? Pattern.callSteps(options, agents, input)
        : Effect.forEach(agents, (agent) => Effect.either(call(input, agent)), { concurrency }),
      (outcomes) => {
        const successes: Array<Success> = []
        const failures: Array<Failure> = []
        outcomes.forEach((outcome, i) => {
          if (Either.isRight(outcome)) successes.push({ agent: agents[i]!, output: outcome.right })
          else failures.push({ agent: agents[i]!, error: outcome.left })
        })
        return { successes, failures }
      }
    )

  /** The first failure ends the run; `forEach` interrupts the calls still running. */
  const allOrNothing = (input: Message.Message) =>
    Effect.forEach(
      agents,
      (agent) =>
        Effect.mapError(call(input, agent), (error) =>
          insufficient(agents.length, 0, [{ agent, error }], `failFast: agent "${agent}" failed, the agents still running were interrupted`)
        ),
      { concurrency }
    ).pipe(Effect.map((outputs) => ({ successes: outputs.map((output, i) => ({ agent: agents[i]!, output })), failures: [] as ReadonlyArray<Failure> })))

  /** The first success ends the run and interrupts the rest; failures are collected meanwhile. */
  const first = (input: Message.Message) =>
    Effect.gen(function* () {
      const winner = yield* Deferred.make<Success>()
      const failures: Array<Failure> = []
      const everyone = Effect.forEach(
        agents,
        (agent) =>
          call(input, agent).pipe(
            Effect.matchEffect({
              onSuccess: (output) => Deferred.succeed(winner, { agent, output }),
              onFailure: (error) => {
                failures.push({ agent, error })
                // failFast: the first failure ends the run, as it does without firstSuccess.
                return options.failFast === true
                  ? Effect.fail(insufficient(agents.length, 0, [{ agent, error }], `failFast: agent "${agent}" failed before any succeeded`))
                  : Effect.void
              }
            })
          ),
        { concurrency, discard: true }
      )
      const noneSucceeded = Effect.suspend(() => Effect.fail(insufficient(1, 0, failures, `none of the ${agents.length} agents succeeded`)))
      const success = yield* Effect.raceFirst(Deferred.await(winner), Effect.zipRight(everyone, noneSucceeded))
      return { successes: [success], failures }
    })

  return Pattern.make("parallel", options, (input) =>
    Effect.gen(function* () {
      const { failures, successes } = yield* (aggregator._tag === "FirstSuccess"
        ? first(input)
        : options.failFast === true
        ? allOrNothing(input)
        : collectAll(input))
      yield* Effect.annotateCurrentSpan({
        "aixfx.parallel.agents": agents.length,
        "aixfx.parallel.succeeded": successes.length,
        "aixfx.parallel.failed": failures.length,
        "aixfx.parallel.aggregate": aggregatorName(aggregator)
      })
      const required = aggregator._tag === "FirstSuccess" ? 1 : minSuccesses
      if (successes.length < required) {
        return yield* Effect.fail(
          insufficient(required, successes.length, failures, `${successes.length} of ${agents.length} agents succeeded, ${required} required`)
        )
      }
      const aggregated = yield* combineWith(aggregator, successes)
      return Pattern.reply(
        input,
        aggregated.payload,
        {
          kind: "parallel",
          name: options.name,
          aggregate: aggregatorName(aggregator),
          agents: agents.length,
          succeeded: successes.length,
          failures: failures.map(failureJson),
          ...aggregated.trace
        },
        aggregated.type
      )
    })
  )
}

/**
 * What a Parallel's reply records in `metadata.trace`: how many agents answered, the failures, and
 * what the aggregator adds (`winner` for firstSuccess and majority, `tally` for majority; a custom
 * aggregator's own fields are not decoded).
 */
export const Trace = Schema.Struct({
  kind: Schema.Literal("parallel"),
  name: Schema.String,
  aggregate: Schema.String,
  agents: Schema.Number,
  succeeded: Schema.Number,
  failures: Schema.Array(Schema.Struct({ step: Schema.String, tag: Schema.String, message: Schema.String })),
  winner: Schema.optional(Schema.String),
  tally: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Number }))
})
export type Trace = typeof Trace.Type

/** The typed outcome of a Parallel's reply (`Parallel.outcome(reply)`), decoded, no casts. */
export const outcome = Pattern.outcomeOf(Trace)
