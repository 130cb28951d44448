/**
 * Distributed: two nodes, each its own process, serve agents over gRPC; this process runs patterns
 * whose agents live on both. A Hierarchical project has its manager on the "planning" node and its
 * teams on the "making" node; a Reflection loop has its coder on "making" and its reviewer on
 * "planning". The patterns are the same code as in one process: only the runtime layer changes.
 * Runs offline on the default model; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one
 * (the nodes inherit the environment).
 */
import { DistributedRuntime, Message } from "@aixfx/core"
import { Hierarchical, Reflection } from "@aixfx/patterns"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"
import { nodes } from "./agents.js"
import { type RunningNode, startNode } from "./cluster.js"

export const request =
  "Add CSV export to the reports page. Survey which report columns users need in the export. " +
  "Build the export endpoint and the download button. Write the user guide for the export."

/** The project brief, an earlier turn of the conversation; metadata travels to every node with each call. */
const brief = `Project brief:
Users in the survey asked for the date, customer, amount and status columns in the export.
The export endpoint streams rows so that large reports do not run out of memory.
The download button sits next to the print button and shows progress for large reports.
The user guide explains how to export a report, which columns are included and how to open the file in Excel.`

export const codingTask = "Write a TypeScript function that retries a failed async call with exponential backoff."

/** Every agent name → the endpoint of the node that hosts it. */
export const peersOf = (running: ReadonlyArray<RunningNode>): Record<string, string> =>
  Object.fromEntries(running.flatMap((node) => nodes[node.name].map((agent) => [agent.name, node.endpoint] as const)))

/** The two patterns of the example, run against the nodes that `peers` point to. */
export const showcase = (peers: Record<string, string>) =>
  Effect.gen(function* () {
    const runtime = DistributedRuntime.layer({ peers })
    const project = yield* Hierarchical.make({
      name: "csv-export-project",
      manager: "manager",
      teams: { research: ["researcher"], engineering: ["backend-dev", "frontend-dev"], docs: ["writer"] }
    }).execute(Message.make({ payload: request, metadata: { conversation: [{ role: "user", content: brief }] } })).pipe(Effect.provide(runtime))
    const plan = yield* Hierarchical.outcome(project)
    yield* Console.log(`Hierarchical (manager on "planning", teams on "making")\nRequest: ${request}\nTeams assigned: ${plan.assignments.map((a) => a.team).join(", ")}\n\n${project.payload}\n`)

    const review = yield* Reflection.make({ name: "code-review-loop", generator: "coder", critic: "reviewer", maxIterations: 2 })
      .execute(Message.make(codingTask))
      .pipe(Effect.provide(runtime))
    const loop = yield* Reflection.outcome(review)
    const critiques = loop.iterations.map((i) => `  draft ${i.iteration}: score ${i.score} — ${i.critiques.map((c) => c.feedback).join(" | ")}`)
    yield* Console.log(
      `Reflection (coder on "making", reviewer on "planning")\nTask: ${codingTask}\n${critiques.join("\n")}\nBest draft (iteration ${loop.bestIteration}):\n${review.payload}\n`
    )
    yield* Console.log("The model calls ran on the nodes; their costs came back with the replies, so the cost table below counts them.")
    return { project, review }
  })

/** Starts both nodes as processes, runs the showcase on them, and stops them. */
export const distributed = Effect.scoped(
  Effect.gen(function* () {
    const running = yield* Effect.all([startNode("planning"), startNode("making")], { concurrency: 2 })
    for (const node of running) yield* Console.log(`Node "${node.name}" (pid ${node.pid}) serves on ${node.endpoint}`)
    yield* Console.log("")
    return yield* showcase(peersOf(running))
  })
)

if (isMain(import.meta.url)) runMain("distributed", distributed)
