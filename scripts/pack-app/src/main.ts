/**
 * A small application built from the packed tarballs, outside the repository (scripts/test-pack.sh):
 * it must typecheck under NodeNext and Bundler resolution and run with plain node.
 */
import { Agent, AgentRuntime, CostLedger, LocalHeuristicModel, Message, Workflow } from "@aixfx/core"
import * as LocalRuntime from "@aixfx/core/LocalRuntime"
import { Router } from "@aixfx/patterns"
import { PricingTable } from "@aixfx/providers"
import { Chunker } from "@aixfx/rag-lancedb"
import { Effect, Layer } from "effect"

const billing = Agent.llm({ name: "billing", instructions: "Answer billing questions.\nSource:\nRefunds are paid within five days." })
const support = Agent.llm({ name: "support", instructions: "Answer technical questions.\nSource:\nRestart the router to reconnect." })
const classifier = Agent.llm({
  name: "classifier",
  instructions: "Classify the request. Categories: billing, support\n- billing: refund invoice payment\n- support: router error crash"
})
const desk = Router.make({ name: "desk", classifier, routes: { billing, support } })

const program = Effect.gen(function* () {
  for (const agent of [billing, support, classifier]) yield* AgentRuntime.register(agent)
  yield* AgentRuntime.register(desk)
  const reply = yield* AgentRuntime.call(desk, Message.make("When is my refund paid?"))
  const calls = CostLedger.totals(yield* CostLedger.entries).calls
  return { answer: reply.payload, calls }
}).pipe(Workflow.run("pack-app"))

const AppLayer = Layer.mergeAll(LocalRuntime.layer(), LocalHeuristicModel.layer(), CostLedger.layer)

const { answer, calls } = await Effect.runPromise(Effect.provide(program, AppLayer))
const price = PricingTable.make().resolve("openai", "gpt-4o-mini")._tag
const chunks = Chunker.chunk("One sentence. Another sentence.")
if (!answer.includes("five days") || calls !== 2 || price !== "Priced" || chunks.length === 0) {
  console.error(`pack-app: unexpected result ${JSON.stringify({ answer, calls, price, chunks: chunks.length })}`)
  process.exit(1)
}
console.log(`pack-app ok: "${answer}" (${calls} model calls)`)
