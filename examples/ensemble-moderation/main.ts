/**
 * Ensemble moderation: three moderators, each with its own keyword list, label every message
 * safe, spam or abusive; the Ensemble's majority vote decides, or refuses with InsufficientAgreement
 * when they disagree too much. Prints winner, tally and agreement per message.
 * Runs offline on the default model; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one.
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Ensemble } from "@aixfx/patterns"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"

export const messages = [
  "Thanks for the quick reply, see you at the meeting tomorrow.",
  "Buy cheap watches now!!! Click this link for a free prize and discount offer.",
  "You are an idiot and I hate you, stupid moron."
]

const moderator = (name: string, spam: string, abusive: string) =>
  Agent.llm({
    name,
    role: "labels messages",
    instructions: `Classify the message.\n- safe: thanks, meeting, hello, question, reply\n- spam: ${spam}\n- abusive: ${abusive}`
  })

export const ensembleModeration = Effect.gen(function* () {
  const moderators = [
    moderator("mod-a", "buy, cheap, click, link, prize", "idiot, hate, stupid"),
    moderator("mod-b", "offer, discount, free, watches", "moron, hate, insult"),
    moderator("mod-c", "prize, free, now, link", "idiot, stupid, threat")
  ]
  for (const agent of moderators) yield* AgentRuntime.register(agent)
  const panel = Ensemble.make({ name: "moderation", models: moderators, strategy: "majority", agreementThreshold: 0.6 })
  const verdicts: Array<string> = []
  for (const text of messages) {
    const out = yield* panel.execute(Message.make(text))
    const trace = yield* Ensemble.outcome(out)
    verdicts.push(out.payload)
    yield* Console.log(`${trace.winner.padEnd(8)} agreement ${trace.agreement.toFixed(2)}  tally ${JSON.stringify(trace.tally)}  ${text}`)
  }
  return verdicts
})

if (isMain(import.meta.url)) runMain("ensemble-moderation", ensembleModeration)
