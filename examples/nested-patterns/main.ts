/**
 * Three patterns nested: a Hierarchical project splits an onboarding note between two teams; each
 * team's member is a Reflection loop (draft, critique, revise) whose generator is a RAG pattern that
 * answers from a small handbook. The pattern path, spans and cost ledger follow the nesting.
 * Runs offline on the default model; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one.
 */
import { Agent, AgentRuntime, CostLedger, Message } from "@aixfx/core"
import { Hierarchical, Rag, Reflection } from "@aixfx/patterns"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"

export const request =
  "Write an onboarding note for new engineers. Explain how the router keeps model costs low. Explain how reflection improves the quality of drafts."

const handbook: ReadonlyArray<Rag.InMemoryDocument> = [
  { id: "router-1", text: "The router classifies each request before any expensive model runs." },
  { id: "router-2", text: "Simple requests go to a cheap model and complex requests to an expensive one, which keeps costs low." },
  { id: "router-3", text: "When the classifier is unsure, the router falls back to a default route." },
  { id: "reflection-1", text: "Reflection has a critic score every draft and name what is missing." },
  { id: "reflection-2", text: "The generator revises the draft with the critique, which improves quality step by step." },
  { id: "reflection-3", text: "Reflection returns the best-scoring draft, not the last one." },
  { id: "ledger-1", text: "The cost ledger records the tokens and price of every model call." }
]

const planner = Agent.llm({
  name: "lead",
  instructions: "You lead the docs team. Decompose the task and assign each part to one team.\n- costs: router, cost, model\n- quality: reflection, quality, draft"
})

/** The lead plans with its model; its synthesis is plain assembly of the teams' sections. */
const lead = Agent.make({
  name: "lead",
  role: "plans the note and assembles the sections",
  execute: (message) => {
    if (message.metadata["stage"] === "plan") return planner.execute(Message.make(String(message.metadata["task"])))
    const results = message.metadata["results"] as ReadonlyArray<{ team: string; workers: ReadonlyArray<{ output: string }> }>
    return Effect.succeed(Message.reply(message, results.map((r) => `## ${r.team}\n${r.workers.map((w) => w.output).join("\n")}`).join("\n\n")))
  }
})

/** The ledger's tree below the run, one indented line per pattern or agent. */
const costTree = (entries: ReadonlyArray<CostLedger.Entry>): string => {
  const lines = (node: CostLedger.TreeNode, depth: number): ReadonlyArray<string> =>
    node.kind === "model"
      ? []
      : [
        `${"  ".repeat(depth)}${node.kind} ${node.name}: ${node.totals.calls} calls, ${node.totals.usage.inputTokens + node.totals.usage.outputTokens} tokens`,
        ...node.children.flatMap((child) => lines(child, depth + 1))
      ]
  return CostLedger.tree(entries).flatMap((run) => run.children.flatMap((child) => lines(child, 1))).join("\n")
}

export const nestedPatterns = Effect.gen(function* () {
  yield* AgentRuntime.register(lead)
  yield* AgentRuntime.register(Rag.inMemoryRetriever({ name: "handbook", documents: handbook }))
  yield* AgentRuntime.register(Agent.llm({ name: "writer", instructions: "Answer the question from the context, citing document ids." }))
  yield* AgentRuntime.register(Agent.llm({ name: "critic", instructions: 'You are a critic. Score the draft from 0 to 1 as JSON {"score","feedback"}.' }))

  // Innermost first: RAG, then the Reflection that uses it as generator, then the Hierarchical.
  yield* AgentRuntime.register(Rag.make({ name: "handbook-qa", retriever: "handbook", generator: "writer", topK: 3 }))
  yield* AgentRuntime.register(Reflection.make({ name: "reviewed-section", generator: "handbook-qa", critic: "critic", maxIterations: 2 }))
  const note = Hierarchical.make({
    name: "onboarding-note",
    manager: "lead",
    teams: { costs: ["reviewed-section"], quality: ["reviewed-section"] }
  })

  const result = yield* note.execute(Message.make(request))
  yield* Console.log(`Request: ${request}\n\n${result.payload}`)
  yield* Console.log(`\nModel calls along the nesting (run → pattern → nested pattern → agent):\n${costTree(yield* CostLedger.entries)}`)
  return result
})

if (isMain(import.meta.url)) runMain("nested-patterns", nestedPatterns)
