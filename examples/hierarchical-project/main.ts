/**
 * Hierarchical project: a project manager splits a feature request between three teams (research,
 * engineering with two developers, docs), every team works at once, and the manager — told that this
 * is the synthesis stage — turns their results into one project summary.
 * Runs offline on the default model; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one.
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Hierarchical } from "@aixfx/patterns"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"
import { projectManager } from "../shared/projectManager.js"

export const request =
  "Add CSV export to the reports page. Survey which report columns users need in the export. " +
  "Build the export endpoint and the download button. Write the user guide for the export."

/** The project brief everyone can read: an earlier turn of the conversation. */
const brief = `Project brief:
Users in the survey asked for the date, customer, amount and status columns in the export.
Finance users open exported files in Excel, so the export must use UTF-8 with a byte order mark.
The export endpoint streams rows so that large reports do not run out of memory.
The download button sits next to the print button and shows progress for large reports.
The user guide explains how to export a report, which columns are included and how to open the file in Excel.`

const worker = (name: string, instructions: string) => Agent.llm({ name, instructions })

export const hierarchicalProject = Effect.gen(function* () {
  for (const agent of [
    projectManager,
    worker("researcher", "You research what users need. Answer from the brief."),
    worker("backend-dev", "You build server endpoints. Answer from the brief."),
    worker("frontend-dev", "You build the user interface. Answer from the brief."),
    worker("writer", "You write user documentation. Answer from the brief.")
  ]) yield* AgentRuntime.register(agent)

  const project = Hierarchical.make({
    name: "csv-export-project",
    manager: "manager",
    teams: { research: ["researcher"], engineering: ["backend-dev", "frontend-dev"], docs: ["writer"] },
    maxDepth: 2
  })
  const result = yield* project.execute(Message.make({ payload: request, metadata: { conversation: [{ role: "user", content: brief }] } }))
  const trace = result.metadata["trace"] as { assignments: ReadonlyArray<{ team: string; task: string; workers: ReadonlyArray<string> }> }
  yield* Console.log(`Request: ${request}\n\nPlan:`)
  for (const a of trace.assignments) yield* Console.log(`  ${a.team} (${a.workers.join(", ")}): ${a.task}`)
  yield* Console.log(`\nProject summary:\n${result.payload}`)
  return result
})

if (isMain(import.meta.url)) runMain("hierarchical-project", hierarchicalProject)
