/**
 * 2. Pattern overhead: each pattern run through `AgentRuntime.call` on LocalRuntime with
 * zero-latency agents — µs per run, against one plain runtime call measured in the same run.
 */
import { Agent, AgentRuntime, LocalRuntime, Message } from "@aixfx/core"
import { Ensemble, Hierarchical, Parallel, Rag, Reflection, Router, Swarm } from "@aixfx/patterns"
import { Effect, ManagedRuntime } from "effect"
import type { Benchmark } from "./lib/Benchmark.js"
import { nsPerOp, ratio, round } from "./lib/measure.js"

interface Case {
  readonly pattern: string
  /** What one run does, in agent calls. */
  readonly shape: string
  readonly agentCalls: number
  readonly agents: ReadonlyArray<Agent.Agent<any>>
  /** The pattern itself, registered last and called by name. */
  readonly entry: Agent.Agent<AgentRuntime.AgentRuntime>
}

const ALL_PATTERNS = ["Parallel", "Router", "Swarm", "Rag", "Reflection", "Hierarchical", "Ensemble"] as const

const reply = (name: string, text: string) => Agent.fromFunction(name, (input) => Message.reply(input, text))

const cases = (): ReadonlyArray<Case> => [
  {
    pattern: "Parallel",
    shape: "3 agents concurrently, replies concatenated",
    agentCalls: 3,
    agents: [reply("analyst-a", "view a"), reply("analyst-b", "view b"), reply("analyst-c", "view c")],
    entry: Parallel.make({ name: "parallel", agents: ["analyst-a", "analyst-b", "analyst-c"] })
  },
  {
    pattern: "Router",
    shape: "classify → the chosen route's agent",
    agentCalls: 2,
    agents: [reply("classifier", "billing"), reply("billing-desk", "billing answer"), reply("tech-desk", "tech answer")],
    entry: Router.make({ name: "router", classifier: "classifier", routes: { billing: "billing-desk", tech: "tech-desk" } })
  },
  {
    pattern: "Swarm",
    shape: "entry hands off once → the specialist answers",
    agentCalls: 2,
    agents: [
      Agent.fromFunction("front-desk", (input) => Message.reply(input, { payload: "", metadata: { handoff: { to: "specialist", reason: "" } } })),
      reply("specialist", "the answer")
    ],
    entry: Swarm.make({ name: "swarm", entry: "front-desk", agents: ["specialist"] })
  },
  {
    pattern: "Ensemble",
    shape: "3 voters, majority (earlyStop off: every vote counted)",
    agentCalls: 3,
    agents: [reply("voter-a", "yes"), reply("voter-b", "yes"), reply("voter-c", "no")],
    entry: Ensemble.make({ name: "ensemble", models: ["voter-a", "voter-b", "voter-c"], earlyStop: false })
  },
  {
    pattern: "Rag",
    shape: "retrieve (3 documents) → generate",
    agentCalls: 2,
    agents: [
      Agent.fromFunction("retriever", (input) =>
        Rag.retrievalReply(input, [1, 2, 3].map((i) => ({ id: `doc-${i}`, text: `Document ${i} says something useful.`, score: 1 / i, metadata: {} })))
      ),
      reply("writer", "the answer")
    ],
    entry: Rag.make({ name: "rag", retriever: "retriever", generator: "writer" })
  },
  {
    pattern: "Reflection",
    shape: "generate → critique (score 0.95 ≥ threshold: stop)",
    agentCalls: 2,
    agents: [reply("drafter", "a draft"), reply("critic", JSON.stringify({ score: 0.95, feedback: "good" }))],
    entry: Reflection.make({ name: "reflection", generator: "drafter", critic: "critic" })
  },
  {
    pattern: "Hierarchical",
    shape: "plan (2 teams × 1 worker) → workers concurrently → synthesis",
    agentCalls: 4,
    agents: [
      Agent.fromFunction("manager", (input) =>
        Message.reply(
          input,
          input.payload.startsWith("Planning stage")
            ? JSON.stringify({ assignments: [{ team: "research", task: "find the facts" }, { team: "writing", task: "write it up" }] })
            : "the combined answer"
        )
      ),
      reply("researcher", "the facts"),
      reply("author", "the text")
    ],
    entry: Hierarchical.make({ name: "hierarchical", manager: "manager", teams: { research: ["researcher"], writing: ["author"] } })
  }
]

export const benchmark: Benchmark = {
  name: "patterns",
  run: async ({ quick }) => {
    const iterations = quick ? 100 : 500
    const rounds = quick ? 2 : 3
    const runtime = ManagedRuntime.make(LocalRuntime.layer())
    const rows: Array<Record<string, string | number>> = []
    try {
      const message = Message.make("What does the handbook say about refunds?")
      await runtime.runPromise(AgentRuntime.register(Agent.fromFunction("noop", (input) => input)))
      const single = await nsPerOp(runtime, () => AgentRuntime.call("noop", message), { iterations: iterations * 4, rounds })
      rows.push({ pattern: "(one AgentRuntime.call, baseline)", run: "1 call", "agent calls": 1, "µs/run": round(single / 1000, 1), "vs one call": "1.00×", "µs/run − calls × one call": 0 })
      const measured = new Set<string>()
      for (const c of cases()) {
        await runtime.runPromise(
          Effect.forEach([...c.agents, c.entry], (agent) => AgentRuntime.register(agent), { discard: true })
        )
        // Check the pattern really answers before timing it.
        const answer = await runtime.runPromise(AgentRuntime.call(c.entry.name, message))
        if (answer.payload.length === 0) throw new Error(`${c.pattern}: empty reply`)
        const ns = await nsPerOp(runtime, () => AgentRuntime.call(c.entry.name, message), { iterations, rounds })
        measured.add(c.pattern)
        rows.push({
          pattern: c.pattern,
          run: c.shape,
          "agent calls": c.agentCalls,
          "µs/run": round(ns / 1000, 1),
          "vs one call": ratio(ns, single),
          "µs/run − calls × one call": round((ns - (c.agentCalls + 1) * single) / 1000, 1)
        })
      }
      const missing = ALL_PATTERNS.filter((pattern) => !measured.has(pattern))
      for (const pattern of missing) rows.push({ pattern, run: "not measured: not in @aixfx/patterns at this commit", "agent calls": "", "µs/run": "", "vs one call": "", "µs/run − calls × one call": "" })
      return {
        title: "2. Pattern overhead — one run with zero-latency agents",
        rows,
        notes: [
          `Each pattern is registered in a LocalRuntime and called by name (\`AgentRuntime.call\`), ${iterations.toLocaleString("en-US")} runs per round, median of ${rounds} rounds after a warm-up; its agents answer at once.`,
          "The last column is what the pattern itself adds: its run time minus (its agent calls + the call to the pattern) × one plain call.",
          ...(missing.length > 0 ? [`Not measured (not landed when this ran): ${missing.join(", ")}.`] : [])
        ]
      }
    } finally {
      await runtime.dispose()
    }
  }
}
