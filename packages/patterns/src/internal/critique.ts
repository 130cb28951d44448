/**
 * Reading a critic's answer as `{ score in [0, 1], feedback }`. JSON first (`{"score": 0.8,
 * "feedback": "…"}`, the score may also be "8/10" or "80%"), then text: `Score: 8/10`, `8 out of 10`,
 * `80%`, `Score: 0.8`, or a bare `8/10`. Anything else is unparsable — never a guessed score.
 */
import { findJsonObject } from "./jsonText.js"

export interface Critique {
  readonly score: number
  readonly feedback: string
}

const NUMBER = String.raw`(\d+(?:\.\d+)?)`
const RATIO = new RegExp(String.raw`${NUMBER}\s*(?:/|out\s+of)\s*${NUMBER}`, "i")
const PERCENT = new RegExp(String.raw`${NUMBER}\s*%`)
const LABELLED = new RegExp(String.raw`\b(?:score|rating|grade)\b\s*(?:\*\*)?\s*[:=]?\s*(?:\*\*)?\s*${NUMBER}\s*(?:(?:/|out\s+of)\s*${NUMBER}|(%))?`, "i")

const inUnitRange = (score: number) => (Number.isFinite(score) && score >= 0 && score <= 1 ? score : undefined)
const ratio = (value: string, max: string) => (Number(max) > 0 ? inUnitRange(Number(value) / Number(max)) : undefined)

/** A score written as text: a ratio, a percentage, or a plain number in [0, 1]. */
const scoreInText = (text: string): number | undefined => {
  const match = LABELLED.exec(text)
  if (match !== null) {
    if (match[2] !== undefined) return ratio(match[1]!, match[2])
    if (match[3] !== undefined) return inUnitRange(Number(match[1]) / 100)
    return inUnitRange(Number(match[1]))
  }
  const fraction = RATIO.exec(text)
  if (fraction !== null) return ratio(fraction[1]!, fraction[2]!)
  const percent = PERCENT.exec(text)
  return percent === null ? undefined : inUnitRange(Number(percent[1]) / 100)
}

const fromJson = (text: string): Critique | undefined => {
  const json = findJsonObject(text)
  if (json === undefined || !("score" in json)) return undefined
  const raw = json["score"]
  const score = typeof raw === "number" ? inUnitRange(raw) : typeof raw === "string" ? scoreInText(raw) ?? inUnitRange(Number(raw)) : undefined
  if (score === undefined) return undefined
  const feedback = json["feedback"] ?? json["critique"] ?? json["comments"] ?? ""
  return { score, feedback: typeof feedback === "string" ? feedback : JSON.stringify(feedback) }
}

/** The critique in a critic's answer, or undefined when no score in [0, 1] can be read from it. */
export const parseCritique = (text: string): Critique | undefined => {
  const json = fromJson(text)
  if (json !== undefined) return json
  if (findJsonObject(text) !== undefined) return undefined
  const score = scoreInText(text)
  return score === undefined ? undefined : { score, feedback: text.trim() }
}
