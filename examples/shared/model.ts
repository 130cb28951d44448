/**
 * The model every example runs on, chosen from the environment in one place:
 * `AIXFX_MODEL` (any `Models` name, e.g. `ollama:llama3.1`), else OpenAI when `OPENAI_API_KEY`
 * is set (`OPENAI_MODEL`, default gpt-4o-mini), else Anthropic when `ANTHROPIC_API_KEY` is set
 * (`ANTHROPIC_MODEL`, default claude-haiku-4-5), else the offline LocalHeuristicModel.
 * Real models are priced with the dated pricing table (`withCostTracking`).
 */
import { type LanguageModel, LocalHeuristicModel } from "@aixfx/core"
import { Anthropic, Models, OpenAi, PricingTable, withCostTracking } from "@aixfx/providers"
import { Layer } from "effect"

export interface ModelChoice {
  readonly layer: Layer.Layer<LanguageModel.LanguageModel>
  /** One line telling the reader which model runs and how to use a real one. */
  readonly banner: string
}

type Env = Readonly<Record<string, string | undefined>>

const priced = (name: string, layer: Layer.Layer<LanguageModel.LanguageModel, unknown>, how: string): ModelChoice => ({
  // The key or name was checked above; a failure here is a broken environment, not a user error.
  layer: withCostTracking().pipe(Layer.provide(Layer.orDie(layer))),
  banner: `Model: ${name} (${how}; prices as of ${PricingTable.asOf}).`
})

export const chooseModel = (env: Env = process.env): ModelChoice => {
  const named = env["AIXFX_MODEL"]
  if (named !== undefined && named !== "") return priced(named, Models.layer(named), "from AIXFX_MODEL")
  if (env["OPENAI_API_KEY"]) {
    const model = env["OPENAI_MODEL"] || OpenAi.DEFAULT_MODEL
    return priced(`openai:${model}`, OpenAi.layerConfig({ model }), "OPENAI_API_KEY is set")
  }
  if (env["ANTHROPIC_API_KEY"]) {
    const model = env["ANTHROPIC_MODEL"] || Anthropic.DEFAULT_MODEL
    return priced(`anthropic:${model}`, Anthropic.layerConfig({ model }), "ANTHROPIC_API_KEY is set")
  }
  return {
    layer: LocalHeuristicModel.layer(),
    banner:
      `Model: ${LocalHeuristicModel.MODEL} (offline, deterministic heuristics, $0). ` +
      "Set OPENAI_API_KEY or ANTHROPIC_API_KEY (or AIXFX_MODEL=ollama:llama3.1) to use a real model."
  }
}
