/**
 * Voting shared by Ensemble and Parallel's `majority` aggregator: answers are normalised so that
 * "Spam.", " spam" and `{"label":"SPAM"}` are one vote, scores are summed per answer, and the winner
 * is chosen without regard to the order the votes came in.
 */
import type * as Message from "@aixfx/core/Message"
import { findJsonObject } from "./jsonText.js"

/** The answer inside a JSON reply (`answer`, `category` or `label`), else the text itself. */
const unwrap = (text: string): string => {
  const json = findJsonObject(text)
  if (json === undefined) return text
  const inner = json["answer"] ?? json["category"] ?? json["label"]
  return typeof inner === "string" || typeof inner === "number" || typeof inner === "boolean" ? String(inner) : text
}

/** The form answers are compared in: unwrapped, lower case, punctuation dropped, spaces collapsed. */
export const normalize = (text: string): string =>
  unwrap(text)
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim()

const inUnitRange = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined

/** A reply's confidence in [0, 1]: `metadata.confidence`, else a JSON payload's `confidence`. */
export const confidenceOf = (reply: Message.Message): number | undefined =>
  inUnitRange(reply.metadata["confidence"]) ?? inUnitRange(findJsonObject(reply.payload)?.["confidence"])

/** Each answer's summed score. */
export type Tally = ReadonlyMap<string, number>

export const tally = (votes: Iterable<{ readonly answer: string; readonly score: number }>): Map<string, number> => {
  const scores = new Map<string, number>()
  for (const vote of votes) scores.set(vote.answer, (scores.get(vote.answer) ?? 0) + vote.score)
  return scores
}

/**
 * The highest-scoring answer. Ties go to the answer that sorts first (by UTF-16 code units) after
 * normalisation — a rule that does not depend on which voter answered first.
 */
export const leader = (scores: Tally): { readonly answer: string; readonly score: number } | undefined => {
  let best: { answer: string; score: number } | undefined
  for (const [answer, score] of scores) {
    if (best === undefined || score > best.score || (score === best.score && answer < best.answer)) best = { answer, score }
  }
  return best
}

/** The best score among answers other than `answer` (0 when there is none). */
export const runnerUpScore = (scores: Tally, answer: string): number => {
  let best = 0
  for (const [other, score] of scores) if (other !== answer && score > best) best = score
  return best
}

export const total = (scores: Tally): number => {
  let sum = 0
  for (const score of scores.values()) sum += score
  return sum
}

/** A tally as a plain object with answers in sorted order (stable in traces and errors). */
export const toRecord = (scores: Tally): Record<string, number> =>
  Object.fromEntries([...scores].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
