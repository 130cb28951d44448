/**
 * Reflection: a generator drafts, critics score the draft, the generator revises it with the
 * critique — until the score reaches `qualityThreshold`, stops improving by `improvementThreshold`,
 * or `maxIterations` drafts were made. Returns the best-scoring draft (not the last one).
 */
import type * as Agent from "@aixfx/core/Agent"
import type * as AgentRuntime from "@aixfx/core/AgentRuntime"
import * as Message from "@aixfx/core/Message"
import { type AgentError, CritiqueUnparsable } from "@aixfx/core/AgentError"
import { Effect, Schema } from "effect"
import { type Critique, parseCritique } from "./internal/critique.js"
import { stepRequest } from "./internal/step.js"
import * as Pattern from "./Pattern.js"

export type { Critique }

/** One critic (`critic`) or several run concurrently whose scores are averaged (`critics`). */
export type Critics =
  | { readonly critic: Pattern.AgentRef; readonly critics?: never }
  | { readonly critics: readonly [Pattern.AgentRef, ...ReadonlyArray<Pattern.AgentRef>]; readonly critic?: never }

export type Options = Pattern.CommonOptions &
  Critics & {
    /** Writes the first draft from the input and each revision from a refinement request. */
    readonly generator: Pattern.AgentRef
    /** Drafts made at most, the first included (default 3). */
    readonly maxIterations?: number
    /** A draft scoring at least this (in [0, 1]) is good enough: stop (default 0.9). */
    readonly qualityThreshold?: number
    /** A revision must raise the score by at least this, or the loop stops (default 0.1). */
    readonly improvementThreshold?: number
  }

export const StopReason = Schema.Literal("quality-threshold", "insufficient-improvement", "max-iterations")
export type StopReason = typeof StopReason.Type

/** One draft and how the critics scored it (the score is their average). */
export interface Iteration {
  readonly iteration: number
  readonly score: number
  readonly critiques: ReadonlyArray<Critique & { readonly critic: string }>
}

/** Reads a critic's reply; an answer with no readable score in [0, 1] is `CritiqueUnparsable`. */
export const parse = (pattern: string, critic: string, output: string): Effect.Effect<Critique, CritiqueUnparsable> => {
  const critique = parseCritique(output)
  return critique === undefined
    ? Effect.fail(
      new CritiqueUnparsable({
        pattern,
        critic,
        output,
        message: `Reflection "${pattern}": critic "${critic}" gave no score in [0, 1] (expected JSON {"score","feedback"} or text like "Score: 7/10"): ${JSON.stringify(output.slice(0, 200))}`
      })
    )
    : Effect.succeed(critique)
}

/** What a critic is shown: the task and the draft, in labelled sections. */
export const critiquePrompt = (task: string, draft: string): string => `Task: ${task}\nDraft: ${draft}`

/**
 * What the generator is asked for a revision: the critique first (so it leads), then the original
 * task and the previous draft.
 */
export const refinementPrompt = (task: string, draft: string, critique: Critique): string =>
  `Revise to address this critique (score ${critique.score.toFixed(2)}) and reply with the complete revised text only: ` +
  `${critique.feedback.replace(/\s*\n\s*/g, " ")}\n\nTask:\n${task}\n\nPrevious draft:\n${draft}`

const average = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0) / values.length
const round = (n: number) => Number(n.toFixed(4))

/** The Reflection pattern as an agent. */
export const make = (options: Options): Agent.Agent<AgentRuntime.AgentRuntime> => {
  const maxIterations = options.maxIterations ?? 3
  const qualityThreshold = options.qualityThreshold ?? 0.9
  const improvementThreshold = options.improvementThreshold ?? 0.1
  const critics = options.critics ?? [options.critic]

  const critique = (input: Message.Message, draft: string, iteration: number) =>
    Effect.forEach(
      critics,
      (critic) => {
        const name = Pattern.nameOf(critic)
        const request = stepRequest(input, critiquePrompt(input.payload, draft), { reflection: { iteration, task: input.payload, draft } })
        return Pattern.callStep(options, `critique.${name}`, critic, request).pipe(
          Effect.flatMap((reply) => parse(options.name, name, reply.payload)),
          Effect.map((c) => ({ critic: name, score: round(c.score), feedback: c.feedback }))
        )
      },
      { concurrency: "unbounded" }
    ).pipe(Effect.map((critiques): Iteration => ({ iteration, score: round(average(critiques.map((c) => c.score))), critiques })))

  /** The critics' feedback as one text (each critic named when there are several). */
  const combined = (iteration: Iteration): Critique => ({
    score: iteration.score,
    feedback: iteration.critiques.length === 1 ? iteration.critiques[0]!.feedback : iteration.critiques.map((c) => `${c.critic}: ${c.feedback}`).join(" | ")
  })

  return Pattern.make("reflection", options, (input): Effect.Effect<Message.Message, AgentError, AgentRuntime.AgentRuntime> =>
    Effect.gen(function* () {
      const task = input.payload
      const drafts: Array<Message.Message> = [yield* Pattern.callStep(options, "generate", options.generator, stepRequest(input, task))]
      const iterations: Array<Iteration> = []
      let stopReason: StopReason | undefined
      while (stopReason === undefined) {
        const draft = drafts[drafts.length - 1]!
        const current = yield* critique(input, draft.payload, drafts.length)
        const previous = iterations[iterations.length - 1]
        iterations.push(current)
        stopReason = current.score >= qualityThreshold
          ? "quality-threshold"
          : previous !== undefined && current.score - previous.score < improvementThreshold
          ? "insufficient-improvement"
          : drafts.length >= maxIterations
          ? "max-iterations"
          : undefined
        if (stopReason === undefined) {
          const critiqueOfDraft = combined(current)
          const request = stepRequest(input, refinementPrompt(task, draft.payload, critiqueOfDraft), {
            reflection: { iteration: drafts.length + 1, task, draft: draft.payload, critique: { ...critiqueOfDraft } }
          })
          drafts.push(yield* Pattern.callStep(options, "refine", options.generator, request))
        }
      }
      // The best draft, the earliest on a tie: a later revision can be worse than an earlier one.
      const best = iterations.reduce((a, b) => (b.score > a.score ? b : a))
      const scores = iterations.map((i) => i.score)
      yield* Effect.annotateCurrentSpan({
        "aixfx.reflection.scores": JSON.stringify(scores),
        "aixfx.reflection.best_iteration": best.iteration,
        "aixfx.reflection.iterations": iterations.length,
        "aixfx.reflection.stop_reason": stopReason
      })
      const chosen = drafts[best.iteration - 1]!
      return Pattern.reply(
        input,
        chosen.payload,
        {
          kind: "reflection",
          name: options.name,
          scores,
          bestIteration: best.iteration,
          bestScore: best.score,
          stopReason,
          iterations: iterations.map((i) => ({ iteration: i.iteration, score: i.score, critiques: i.critiques.map((c) => ({ ...c })) }))
        },
        chosen.type
      )
    })
  )
}

/** What a Reflection's reply records in `metadata.trace`: every iteration's score and critiques, the best, why it stopped. */
export const Trace = Schema.Struct({
  kind: Schema.Literal("reflection"),
  name: Schema.String,
  scores: Schema.Array(Schema.Number),
  bestIteration: Schema.Number,
  bestScore: Schema.Number,
  stopReason: StopReason,
  iterations: Schema.Array(Schema.Struct({
    iteration: Schema.Number,
    score: Schema.Number,
    critiques: Schema.Array(Schema.Struct({ critic: Schema.String, score: Schema.Number, feedback: Schema.String }))
  }))
})
export type Trace = typeof Trace.Type

/** The typed outcome of a Reflection's reply (`Reflection.outcome(reply)`), decoded, no casts. */
export const outcome = Pattern.outcomeOf(Trace)
