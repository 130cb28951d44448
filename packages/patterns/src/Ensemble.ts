/**
 * Ensemble: several agents (usually different models) answer the same input and vote. Answers are
 * normalised first ("Spam.", " spam", `{"label":"SPAM"}` are one answer). The output carries the
 * winner, the full tally, the agreement (winner's share of the score) and the dissenters.
 *
 * Strategies: `majority` (one vote each), `weighted` (a vote counts `weights[agent]`, default 1),
 * `confidence` (a vote counts its confidence from metadata or the JSON payload, default 1 when it
 * gives none), `unanimous` (every voter that answered must agree). Ties go to the answer that sorts
 * first after normalisation, whatever the order the votes arrived in.
 *
 * `earlyStop` (default on for majority and weighted): once no outstanding vote can change the
 * winner or push the agreement below the threshold, the outstanding calls are interrupted — their
 * cost is saved and the result is the one waiting for them would have given.
 */
import type * as Agent from "@aixfx/core/Agent"
import type * as AgentRuntime from "@aixfx/core/AgentRuntime"
import type * as Message from "@aixfx/core/Message"
import { type AgentError, InsufficientAgreement } from "@aixfx/core/AgentError"
import { Deferred, Effect, Ref, Schema } from "effect"
import * as Voting from "./internal/voting.js"
import * as Pattern from "./Pattern.js"

export type Strategy = "majority" | "unanimous" | "weighted" | "confidence"

export interface Options extends Pattern.CommonOptions {
  /** The voters. */
  readonly models: ReadonlyArray<Pattern.AgentRef>
  readonly strategy?: Strategy
  /** Weight per voter name, for `weighted` (default 1). */
  readonly weights?: Readonly<Record<string, number>>
  /** Minimum share of the score the winner needs (default 0.5). */
  readonly agreementThreshold?: number
  /** Stop calling voters once the outcome is decided (default: on for majority and weighted). */
  readonly earlyStop?: boolean
}

interface Vote {
  readonly agent: string
  readonly answer: string
  readonly score: number
  readonly reply: Message.Message
}

/** Who won: the normalised winning answer, the score per answer, the winner's share, who voted otherwise. */
export const Outcome = Schema.Struct({
  winner: Schema.String,
  tally: Schema.Record({ key: Schema.String, value: Schema.Number }),
  agreement: Schema.Number,
  dissenters: Schema.Array(Schema.String)
})
export type Outcome = typeof Outcome.Type

/** What an Ensemble's reply records in `metadata.trace`: the outcome, and the voters that failed or were stopped. */
export const Trace = Schema.Struct({
  kind: Schema.Literal("ensemble"),
  name: Schema.String,
  ...Outcome.fields,
  strategy: Schema.Literal("majority", "unanimous", "weighted", "confidence"),
  failures: Schema.Array(Schema.Struct({ agent: Schema.String, tag: Schema.String })),
  interrupted: Schema.Array(Schema.String)
})
export type Trace = typeof Trace.Type

/** The typed outcome of an Ensemble's reply (`Ensemble.outcome(reply)`), decoded, no casts. */
export const outcome = Pattern.outcomeOf(Trace)

/** The winner, tally, agreement and dissenters of a set of votes (pure; ties sort first). */
export const decide = (votes: ReadonlyArray<{ readonly agent: string; readonly answer: string; readonly score: number }>): Outcome | undefined => {
  const scores = Voting.tally(votes)
  const leader = Voting.leader(scores)
  if (leader === undefined) return undefined
  const total = Voting.total(scores)
  return {
    winner: leader.answer,
    tally: Voting.toRecord(scores),
    agreement: total === 0 ? 0 : leader.score / total,
    dissenters: votes.filter((v) => v.answer !== leader.answer).map((v) => v.agent)
  }
}

/** The Ensemble pattern as an agent. */
export const make = (options: Options): Agent.Agent<AgentRuntime.AgentRuntime> => {
  const voters = options.models.map(Pattern.nameOf)
  const strategy = options.strategy ?? "majority"
  const threshold = options.agreementThreshold ?? 0.5
  const earlyStop = options.earlyStop ?? (strategy === "majority" || strategy === "weighted")
  const weightOf = (agent: string) => (strategy === "weighted" ? options.weights?.[agent] ?? 1 : 1)
  const scoreOf = (agent: string, reply: Message.Message) =>
    strategy === "confidence" ? Voting.confidenceOf(reply) ?? 1 : weightOf(agent)

  /** True when the votes still outstanding cannot change the winner nor sink the agreement. */
  const settled = (votes: ReadonlyArray<Vote>, outstanding: ReadonlyArray<string>) => {
    if (strategy === "unanimous" || strategy === "confidence") return false
    const scores = Voting.tally(votes)
    const leader = Voting.leader(scores)
    if (leader === undefined) return false
    const remaining = outstanding.reduce((sum, agent) => sum + weightOf(agent), 0)
    const worstAgreement = leader.score / (Voting.total(scores) + remaining)
    return leader.score > Voting.runnerUpScore(scores, leader.answer) + remaining && worstAgreement >= threshold
  }

  return Pattern.make("ensemble", options, (input) =>
    Effect.gen(function* () {
      const votes = yield* Ref.make<ReadonlyArray<Vote>>([])
      const failures = yield* Ref.make<ReadonlyArray<{ agent: string; error: AgentError }>>([])
      const outstanding = new Set(voters)
      const decided = yield* Deferred.make<void>()

      const vote = (agent: string) =>
        Pattern.callStep(options, `vote.${agent}`, agent, input).pipe(
          Effect.matchEffect({
            onFailure: (error) => Ref.update(failures, (all) => [...all, { agent, error }]),
            onSuccess: (reply) =>
              Ref.update(votes, (all) => [...all, { agent, answer: Voting.normalize(reply.payload), score: scoreOf(agent, reply), reply }])
          }),
          Effect.zipRight(
            Effect.suspend(() => {
              outstanding.delete(agent)
              return Effect.flatMap(Ref.get(votes), (all) =>
                earlyStop && outstanding.size > 0 && settled(all, [...outstanding]) ? Deferred.succeed(decided, undefined) : Effect.void
              )
            })
          )
        )

      // Whichever ends first: every voter answered, or the outcome was settled (the rest interrupted).
      yield* Effect.raceFirst(Effect.forEach(voters, vote, { concurrency: "unbounded", discard: true }), Deferred.await(decided))
      const interrupted = [...outstanding]
      const all = yield* Ref.get(votes)
      const failed = yield* Ref.get(failures)
      const outcome = decide(all)
      const tally = outcome?.tally ?? {}
      yield* Effect.annotateCurrentSpan({
        "aixfx.ensemble.strategy": strategy,
        "aixfx.ensemble.tally": JSON.stringify(tally),
        "aixfx.ensemble.agreement": outcome?.agreement ?? 0,
        "aixfx.ensemble.interrupted": interrupted.length,
        ...(outcome === undefined ? {} : { "aixfx.ensemble.winner": outcome.winner })
      })

      const unanimousFailed = strategy === "unanimous" && outcome !== undefined && outcome.dissenters.length > 0
      if (outcome === undefined || outcome.agreement < threshold || unanimousFailed) {
        const why =
          outcome === undefined
            ? `no voter answered (${failed.map((f) => `${f.agent}: ${f.error._tag}`).join("; ") || "none"})`
            : unanimousFailed
            ? `the vote is not unanimous (dissenters: ${outcome.dissenters.join(", ")})`
            : `agreement ${outcome.agreement.toFixed(2)} is below ${threshold}`
        return yield* Effect.fail(
          new InsufficientAgreement({
            pattern: options.name,
            agreement: outcome?.agreement ?? 0,
            threshold: strategy === "unanimous" ? 1 : threshold,
            tally,
            message: `Ensemble "${options.name}": ${why}; tally ${JSON.stringify(tally)}`
          })
        )
      }
      // The reply is the winning answer itself; what each voter said stays in the trace's tally.
      return Pattern.reply(input, outcome.winner, {
        kind: "ensemble",
        name: options.name,
        strategy,
        winner: outcome.winner,
        tally,
        agreement: outcome.agreement,
        dissenters: outcome.dissenters,
        failures: failed.map((f) => ({ agent: f.agent, tag: f.error._tag })),
        interrupted
      })
    })
  )
}
