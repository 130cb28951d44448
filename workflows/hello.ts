/**
 * A workflow of your own: two agents answer a question from a source text. Run it with
 *   npx -y pnpm@10.34.9 example workflows/hello.ts
 * Copy this file to start another; every file in this folder can import the aixfx packages.
 */
import { Agent, AgentRuntime, CostLedger, Failure, LocalHeuristicModel, LocalRuntime, Message, Workflow } from "@aixfx/core"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"

// The offline model answers from a `Source:` section of the instructions (docs/offline-model.md).
const researcher = Agent.llm({
  name: "researcher",
  instructions: `Extract the facts that answer the question.
Source:
Effect gives every failure a type, so the compiler lists the errors a program can meet.
Effect runs thousands of fibers at once and interrupts them safely.
Layers swap a service's implementation, for example a test model for a real one.`
})
const writer = Agent.llm({ name: "writer", instructions: "Answer the question using only the facts given." })

const question = "Why use Effect for typed errors?"

const program = Effect.gen(function* () {
  yield* AgentRuntime.register(researcher)
  yield* AgentRuntime.register(writer)
  const facts = yield* AgentRuntime.call(researcher, Message.make(question))
  const answer = yield* AgentRuntime.call(writer, Message.make(`${question}\n${facts.payload}`))
  yield* Console.log(`Q: ${question}\nA: ${answer.payload}`)
  const totals = CostLedger.totals(yield* CostLedger.entries)
  yield* Console.log(`${totals.calls} model calls, ${totals.usage.inputTokens + totals.usage.outputTokens} tokens, $${totals.costUsd.toFixed(4)}`)
}).pipe(Workflow.run("hello"))

const AppLayer = Layer.mergeAll(LocalRuntime.layer(), LocalHeuristicModel.layer(), CostLedger.layer)

// A failure prints as one line plus its cause (exit code 1), not a fiber dump.
NodeRuntime.runMain(program.pipe(Failure.report("hello"), Effect.provide(AppLayer)), { disableErrorReporting: true })
