/**
 * aixfx: LLM agents (`Agent.llm`), each on its own scripted LanguageModel, registered in a
 * LocalRuntime; the fan-out is `AgentRuntime.callAll`, the router a classifier call and then a
 * call to the agent it named.
 */
import { Agent, AgentRuntime, type LanguageModel, LocalRuntime, Message } from "@aixfx/core"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { workerNames } from "../lib/agents.js"
import * as ScriptedModel from "../lib/scriptedModel.js"
import { answerOf, classify, type Peer, type Workload } from "./workloads.js"

type Registration = readonly [Agent.Agent<LanguageModel.LanguageModel>, Layer.Layer<LanguageModel.LanguageModel>]

const withAgents = async (
  registrations: ReadonlyArray<Registration>,
  run: (runtime: ManagedRuntime.ManagedRuntime<AgentRuntime.AgentRuntime, never>) => Workload["run"]
): Promise<Workload> => {
  const runtime = ManagedRuntime.make(LocalRuntime.layer())
  await runtime.runPromise(
    Effect.forEach(registrations, ([agent, model]) => AgentRuntime.register(agent).pipe(Effect.provide(model)), { discard: true })
  )
  return { run: run(runtime), close: () => runtime.dispose() }
}

export const aixfx: Peer = {
  name: "aixfx",
  fanOut: (n, latencyMs) => {
    const names = workerNames(n)
    const model = ScriptedModel.layer(() => "done", latencyMs)
    return withAgents(
      names.map((name) => [Agent.llm({ name, instructions: "Do the task." }), model] as const),
      (runtime) => async (input) => {
        const results = await runtime.runPromise(AgentRuntime.callAll(names, Message.make(input)))
        return results.map((result) => (result._tag === "Right" ? result.right.payload : result.left.message))
      }
    )
  },
  router: () =>
    withAgents(
      [
        [Agent.llm({ name: "classifier", instructions: "Answer billing or tech." }), ScriptedModel.layer(classify)],
        [Agent.llm({ name: "billing", instructions: "You answer billing questions." }), ScriptedModel.layer(() => answerOf("billing"))],
        [Agent.llm({ name: "tech", instructions: "You answer technical questions." }), ScriptedModel.layer(() => answerOf("tech"))]
      ],
      (runtime) => (input) =>
        runtime.runPromise(
          Effect.gen(function* () {
            const message = Message.make(input)
            const route = yield* AgentRuntime.call("classifier", message)
            const reply = yield* AgentRuntime.call(route.payload, message)
            return [reply.payload]
          })
        )
    )
}
