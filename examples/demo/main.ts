/**
 * The aixfx demo: three agents on LocalRuntime answer a question about a short document —
 * a researcher extracts the relevant facts, a writer answers from them, a critic scores the answer.
 * Prints the answer and a per-agent cost table.
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"

const document = `aixfx runs seven orchestration patterns as typed Effect programs.
The Router classifies a request and sends it to the cheapest agent that can handle it, which saves cost.
Parallel fans a request out to several agents at once and aggregates their answers.
Reflection drafts an answer, has a critic score it, and refines it until the score is high enough.
Every model call is recorded in a cost ledger with its tokens and price.
The same program runs in one process or across machines over gRPC.`

export const question = "How does aixfx save cost, and how is cost tracked?"

const researcher = Agent.llm({
  name: "researcher",
  role: "finds the facts relevant to a question",
  instructions: "Extract the sentences of the context that answer the question."
})
const writer = Agent.llm({ name: "writer", role: "answers from the facts", instructions: "Answer the question using only the facts given." })
const critic = Agent.llm({ name: "critic", role: "scores answers", instructions: "You are a critic. Score the draft from 0 to 1 as JSON." })

export const demo = Effect.gen(function* () {
  yield* AgentRuntime.register(researcher)
  yield* AgentRuntime.register(writer)
  yield* AgentRuntime.register(critic)

  const facts = yield* AgentRuntime.call("researcher", Message.make(`${question}\n${document}`))
  const answer = yield* AgentRuntime.call("writer", Message.make(`${question}\n${facts.payload}`))
  const review = yield* AgentRuntime.call("critic", Message.make(`Task: ${question}\nDraft: ${answer.payload}`))

  yield* Console.log(`Question: ${question}\n\nAnswer: ${answer.payload}\n\nCritic: ${review.payload}`)
  return answer.payload
})

if (isMain(import.meta.url)) runMain("demo", demo)
