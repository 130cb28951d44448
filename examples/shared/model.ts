/**
 * The model every example runs on. Today: the offline LocalHeuristicModel. The providers package
 * makes this pick OpenAI or Anthropic when their key is set (one place for every example).
 */
import { type LanguageModel, LocalHeuristicModel } from "@aixfx/core"
import { Layer } from "effect"

export interface ModelChoice {
  readonly layer: Layer.Layer<LanguageModel.LanguageModel>
  /** One line telling the reader which model runs and how to use a real one. */
  readonly banner: string
}

export const chooseModel = (): ModelChoice => ({
  layer: LocalHeuristicModel.layer(),
  banner:
    `Model: ${LocalHeuristicModel.MODEL} (offline, deterministic heuristics, $0). ` +
    "Set OPENAI_API_KEY or ANTHROPIC_API_KEY to use a real model."
})
