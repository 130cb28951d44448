/**
 * Swarm customer service: a front desk hands each customer over to billing or technical support
 * through `transfer_to_<agent>` tools; the specialist answers from its knowledge base with the
 * original request and the conversation so far. Prints each request's handoff path and answer.
 * Runs offline on the default model; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one.
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Swarm } from "@aixfx/patterns"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"

export const requests = [
  "I was charged twice on my invoice, I need billing to refund one charge.",
  "The app shows a technical error and crashes when I upload a file."
]

const frontDesk = Agent.llm({
  name: "front-desk",
  role: "greets customers and hands them to the right team",
  instructions: "You are the front desk. Greet the customer and hand them over to the team that can help.",
  handoffs: ["billing", "technical"]
})

const billing = Agent.llm({
  name: "billing",
  role: "invoices and refunds",
  instructions:
    "You handle invoices and refunds. Answer from your knowledge base.\nSource:\n" +
    "A duplicate charge is refunded within 5 business days. Refunds go back to the original card. Invoices are sent on the 1st of each month."
})

const technical = Agent.llm({
  name: "technical",
  role: "errors and crashes",
  instructions:
    "You handle errors, crashes and installation problems. Answer from your knowledge base.\nSource:\n" +
    "Upload crashes are fixed in version 2.4, so update the app. Clearing the app cache solves most errors. Uploads are limited to 100 MB."
})

export const swarmCustomerService = Effect.gen(function* () {
  for (const agent of [frontDesk, billing, technical]) yield* AgentRuntime.register(agent)
  const desk = Swarm.make({ name: "support", entry: "front-desk", agents: ["billing", "technical"], maxHandoffs: 3 })
  const paths: Array<ReadonlyArray<string>> = []
  for (const request of requests) {
    const out = yield* desk.execute(Message.make(request))
    const path = (out.metadata["trace"] as { path: ReadonlyArray<string> }).path
    paths.push(path)
    yield* Console.log(`Customer: ${request}\nPath: ${path.join(" → ")}\nAnswer: ${out.payload}\n`)
  }
  return paths
})

if (isMain(import.meta.url)) runMain("swarm-customer-service", swarmCustomerService)
