/**
 * Router cost optimisation: a classifier labels each request simple or complex; simple ones go to a
 * cheap model, complex ones to an expensive one. Prints the route each request took and the costs.
 * With real keys, set CHEAP_MODEL / EXPENSIVE_MODEL (e.g. gpt-4o-mini / gpt-4o); offline, the
 * default model answers both routes, so the routing is real and the prices are $0.
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Router } from "@aixfx/patterns"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"

export const requests = [
  "What is the capital of France?",
  "Compare the trade-offs of event sourcing and CRUD for a multi-region order system, and explain why one wins.",
  "How many days are in a week?",
  "Design a retry strategy with backoff for a payment service and evaluate its failure modes step by step."
]

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
  return routes
})

if (isMain(import.meta.url)) runMain("router-cost-optimization", routerCostOptimization)
