/**
 * Router cost optimisation: a classifier labels each request simple or complex; simple ones go to a
 * cheap model, complex ones to an expensive one. Prints the route each request took and the costs.
 * With real keys, set CHEAP_MODEL / EXPENSIVE_MODEL (e.g. gpt-4o-mini / gpt-4o). Offline, the
 * default model answers both routes ($0), so the tokens each route used are priced with the real
 * price table as the two OpenAI models, and the saving against sending everything to the
 * expensive one is printed.
 */
import { Agent, AgentRuntime, CostLedger, Message } from "@aixfx/core"
import { Router } from "@aixfx/patterns"
import { PricingTable } from "@aixfx/providers"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"

export const requests = [
  "What is the capital of France?",
  "Compare the trade-offs of event sourcing and CRUD for a multi-region order system, and explain why one wins.",
  "How many days are in a week?",
  "Design a retry strategy with backoff for a payment service and evaluate its failure modes step by step."
]

/** The models the two routes are priced as (the table's OpenAI prices). */
const CHEAP_PRICED_AS = process.env["CHEAP_MODEL"] ?? "gpt-4o-mini"
const EXPENSIVE_PRICED_AS = process.env["EXPENSIVE_MODEL"] ?? "gpt-4o"

/** USD for the ledger entries of `agents`, at `model`'s price in the table. */
const priceAs = (entries: ReadonlyArray<CostLedger.Entry>, agents: ReadonlyArray<string>, model: string): number => {
  const table = PricingTable.make()
  if (table.resolve("openai", model)._tag !== "Priced") return Number.NaN
  return entries.filter((e) => agents.includes(e.agent ?? "")).reduce((sum, e) => sum + (table.price("openai", model, e.usage) ?? Number.NaN), 0)
}

const model = (name: string | undefined) => (name === undefined ? {} : { model: name })

export const routerCostOptimization = Effect.gen(function* () {
  yield* AgentRuntime.register(Router.complexityClassifier({ name: "sizer" }))
  yield* AgentRuntime.register(
    Agent.llm({ name: "cheap", instructions: "Answer briefly and directly.", ...model(process.env["CHEAP_MODEL"]) })
  )
  yield* AgentRuntime.register(
    Agent.llm({ name: "expensive", instructions: "Answer thoroughly, step by step.", ...model(process.env["EXPENSIVE_MODEL"]) })
  )
  const router = Router.costOptimized({ name: "cost-router", classifier: "sizer", simple: "cheap", complex: "expensive" })
  const routes: Array<string> = []
  for (const request of requests) {
    const out = yield* router.execute(Message.make(request))
    const trace = out.metadata["trace"] as { route: string; confidence: number | null }
    routes.push(trace.route)
    yield* Console.log(`${trace.route.padEnd(7)} (confidence ${trace.confidence ?? "n/a"})  ${request}`)
  }
  const entries = yield* CostLedger.entries
  // The classifier runs on the cheap model too; without a router every request goes to the expensive one.
  const routed = priceAs(entries, ["sizer", "cheap"], CHEAP_PRICED_AS) + priceAs(entries, ["expensive"], EXPENSIVE_PRICED_AS)
  const allExpensive = priceAs(entries, ["cheap", "expensive"], EXPENSIVE_PRICED_AS)
  yield* Console.log(
    `\nPriced with the table (as of ${PricingTable.asOf}) as ${CHEAP_PRICED_AS} / ${EXPENSIVE_PRICED_AS}: routed $${routed.toFixed(6)}, ` +
      `everything on ${EXPENSIVE_PRICED_AS} $${allExpensive.toFixed(6)}: the router saves ${(100 * (1 - routed / allExpensive)).toFixed(0)}%.`
  )
  return routes
})

if (isMain(import.meta.url)) runMain("router-cost-optimization", routerCostOptimization)
