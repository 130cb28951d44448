/**
 * The agents of the distributed example and the node each one lives on: the "planning" node hosts
 * the project manager and the code reviewer, the "making" node the people who do the work.
 */
import { Agent, type LanguageModel } from "@aixfx/core"
import { Rag } from "@aixfx/patterns"
import { projectManager } from "../shared/projectManager.js"
import { retrySnippet } from "../shared/retrySnippet.js"

const reviewer = Agent.llm({
  name: "reviewer",
  role: "reviews code",
  instructions:
    'You are a strict code critic. Score the draft against the task from 0 to 1 and reply with JSON {"score": number, "feedback": "what is missing"}.'
})

const worker = (name: string, instructions: string) => Agent.llm({ name, instructions })

const classifier = Agent.llm({
  name: "classifier",
  role: "labels requests",
  instructions: "Classify the request as code or docs. Reply with the label only."
})
const answerer = worker("answerer", "Answer the question using only the context given.")
/** Hands documentation requests to the writer on the other node (a Swarm handoff across processes). */
const frontDesk = Agent.llm({ name: "front-desk", instructions: "You are the front desk. Greet and hand over.", handoffs: ["writer"] })

/** The team handbook, searched by keyword on the "making" node. */
const handbook = Rag.inMemoryRetriever({
  name: "handbook",
  documents: [
    { id: "export", text: "The CSV export includes the date, customer, amount and status columns." },
    { id: "excel", text: "Exported files use UTF-8 with a byte order mark so that Excel opens them correctly." },
    { id: "streaming", text: "The export endpoint streams rows so that large reports do not run out of memory." }
  ]
})

export const nodes: Readonly<Record<"planning" | "making", ReadonlyArray<Agent.Agent<LanguageModel.LanguageModel>>>> = {
  planning: [projectManager, reviewer, classifier, answerer, frontDesk],
  making: [
    handbook as Agent.Agent<LanguageModel.LanguageModel>,
    worker("researcher", "You research what users need. Answer from the brief."),
    worker("backend-dev", "You build server endpoints. Answer from the brief."),
    worker("frontend-dev", "You build the user interface. Answer from the brief."),
    worker("writer", "You write user documentation. Answer from the brief."),
    // Offline, the coder quotes the reference code of its Source section (docs/offline-model.md).
    worker("coder", `You write TypeScript. Write the code the task asks for, reusing the reference code. Reply with the code only.\nSource:\n${retrySnippet}`)
  ]
}

export type NodeName = keyof typeof nodes
