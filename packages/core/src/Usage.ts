/**
 * Token usage of one model call (or the sum of several).
 */
import { Schema } from "effect"

export class Usage extends Schema.Class<Usage>("@aixfx/core/Usage")({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  /** Input tokens served from the provider's prompt cache (billed at the cached rate). */
  cachedInputTokens: Schema.Number,
  /** Input tokens written to the prompt cache (Anthropic bills these at a premium). */
  cacheWriteTokens: Schema.Number,
  /** Of `cacheWriteTokens`, those written with the 1-hour lifetime (billed higher than 5-minute writes). */
  cacheWrite1hTokens: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  /** Output tokens spent on hidden reasoning (already included in outputTokens). */
  reasoningTokens: Schema.Number
}) {
  get totalTokens(): number {
    return this.inputTokens + this.outputTokens
  }
}

export const empty = new Usage({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0 })

export const make = (fields: Partial<Usage.Fields>): Usage => new Usage({ ...empty, ...fields })

/** No token of any kind. */
export const isEmpty = (u: Usage): boolean =>
  u.inputTokens === 0 && u.outputTokens === 0 && u.cachedInputTokens === 0 && u.cacheWriteTokens === 0 && u.reasoningTokens === 0

export const add = (a: Usage, b: Usage): Usage =>
  new Usage({
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    cacheWrite1hTokens: a.cacheWrite1hTokens + b.cacheWrite1hTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens
  })

export declare namespace Usage {
  export type Fields = {
    readonly inputTokens: number
    readonly outputTokens: number
    readonly cachedInputTokens: number
    readonly cacheWriteTokens: number
    readonly cacheWrite1hTokens: number
    readonly reasoningTokens: number
  }
}
