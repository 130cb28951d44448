/**
 * aixfx: LLM agents (`Agent.llm`), each on its own scripted LanguageModel, registered in a
 * LocalRuntime; the fan-out is the Parallel pattern, the router the Router pattern.
 */
import { Agent, AgentRuntime, type LanguageModel, LocalRuntime, Message } from "@aixfx/core"
import { Parallel, Router } from "@aixfx/patterns"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { workerNames } from "../lib/agents.js"
import * as ScriptedModel from "../lib/scriptedModel.js"
import { answerOf, classify, type Peer, type Workload } from "./workloads.js"

type Registration =
  | readonly [Agent.Agent<LanguageModel.LanguageModel>, Layer.Layer<LanguageModel.LanguageModel>]
  | readonly [Agent.Agent<AgentRuntime.AgentRuntime>]

const withAgents = async (
  registrations: ReadonlyArray<Registration>,
  run: (runtime: ManagedRuntime.ManagedRuntime<AgentRuntime.AgentRuntime, never>) => Workload["run"]
): Promise<Workload> => {
  const runtime = ManagedRuntime.make(LocalRuntime.layer())
  await runtime.runPromise(
    Effect.forEach(
      registrations,
      (registration) =>
        registration.length === 2 ? AgentRuntime.register(registration[0]).pipe(Effect.provide(registration[1])) : AgentRuntime.register(registration[0]),
      { discard: true }
    )
  )
  return { run: run(runtime), close: () => runtime.dispose() }
}

export const aixfx: Peer = {
  name: "aixfx",
  fanOut: (n, latencyMs) => {
    const names = workerNames(n)
    const model = ScriptedModel.layer(() => "done", latencyMs)
    return withAgents(
      [
        ...names.map((name) => [Agent.llm({ name, instructions: "Do the task." }), model] as const),
        [Parallel.make({ name: "fanout", agents: names })]
      ],
      (runtime) => async (input) => (await runtime.runPromise(AgentRuntime.call("fanout", Message.make(input)))).payload.split("\n\n")
    )
  },
  router: () =>
    withAgents(
      [
        [Agent.llm({ name: "classifier", instructions: "Answer billing or tech." }), ScriptedModel.layer(classify)],
        [Agent.llm({ name: "billing", instructions: "You answer billing questions." }), ScriptedModel.layer(() => answerOf("billing"))],
        [Agent.llm({ name: "tech", instructions: "You answer technical questions." }), ScriptedModel.layer(() => answerOf("tech"))],
        [Router.make({ name: "support", classifier: "classifier", routes: { billing: "billing", tech: "tech" } })]
      ],
      (runtime) => async (input) => [(await runtime.runPromise(AgentRuntime.call("support", Message.make(input)))).payload]
    )
}
