/**
 * The project manager of the Hierarchical examples (hierarchical-project, distributed). It plays both
 * stages; the pattern says which one in `metadata.stage` and passes the task (and, for the synthesis,
 * every team's result) as typed metadata, from which it asks its model.
 */
import { Agent, Message } from "@aixfx/core"

const planner = Agent.llm({
  name: "manager",
  instructions:
    "You are the project manager. Decompose the task and assign each part to one team.\n" +
    "- research: survey users, columns, needs\n- engineering: build, endpoint, button, code\n- docs: write, guide, documentation"
})
const synthesizer = Agent.llm({
  name: "manager",
  instructions: "You are the project manager. Combine the teams' results into one project summary that answers the task."
})

export const projectManager = Agent.make({
  name: "manager",
  role: "plans the project and synthesises the teams' results",
  execute: (message) => {
    const { stage, task, results } = message.metadata
    if (stage === "plan") return planner.execute(Message.make(String(task)))
    const outputs = (results as ReadonlyArray<{ workers: ReadonlyArray<{ output: string }> }>).flatMap((r) => r.workers.map((w) => w.output))
    return synthesizer.execute(Message.make([task, ...outputs].join("\n")))
  }
})
