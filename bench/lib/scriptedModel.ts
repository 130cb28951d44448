/**
 * A scripted aixfx LanguageModel: `LanguageModel.make` (so the `chat` span, pricing and ledger
 * path run as for any provider) over a reply function with an optional latency. Usage is fixed at
 * zero like the peers' fake models, so no side pays for tokenizing (providers' ScriptedModel
 * counts tokens with the real tokenizer, which the peers' fakes do not).
 */
import { LanguageModel, Usage } from "@aixfx/core"
import { Duration, Effect, Layer } from "effect"

export const layer = (reply: (lastUserTurn: string) => string, latency: Duration.DurationInput = 0): Layer.Layer<LanguageModel.LanguageModel> => {
  const delay = Duration.decode(latency)
  const respond = (request: LanguageModel.GenerateRequest & { readonly model: string }): LanguageModel.GenerateResponse => {
    const user = [...request.messages].reverse().find((message) => message.role === "user")
    return {
      text: reply(user?.content ?? ""),
      toolCalls: [],
      finishReason: "stop",
      provider: "scripted",
      model: request.model,
      usage: Usage.empty
    }
  }
  return Layer.succeed(
    LanguageModel.LanguageModel,
    LanguageModel.make({
      provider: "scripted",
      defaultModel: "scripted-1",
      generate: (request) => (Duration.toMillis(delay) === 0 ? Effect.sync(() => respond(request)) : Effect.as(Effect.sleep(delay), respond(request)))
    })
  )
}
