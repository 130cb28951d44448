/**
 * The OpenAI Agents SDK, the way its docs show these workflows: the fan-out runs agents in
 * parallel with `Promise.all(run(...))`, the router is a triage agent with handoffs. Every agent
 * has a scripted `Model` (the SDK's model interface) that waits the latency and answers; SDK
 * tracing is off, as aixfx runs without a tracer installed.
 */
import { Agent, type Model, type ModelRequest, type ModelResponse, run, setTracingDisabled, Usage } from "@openai/agents"
import { setTimeout as sleep } from "node:timers/promises"
import { answerOf, classify, type Peer } from "./workloads.js"

setTracingDisabled(true)

const inputText = (input: ModelRequest["input"]): string =>
  typeof input === "string" ? input : input.map((item) => ("content" in item && typeof item.content === "string" ? item.content : "")).join("\n")

let responses = 0

/** A Model answering `answer(request)`: text, or a handoff when the answer names a handoff tool. */
class ScriptedModel implements Model {
  constructor(
    private readonly answer: (request: ModelRequest) => { readonly text: string } | { readonly handoff: string },
    private readonly latencyMs = 0
  ) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    if (this.latencyMs > 0) await sleep(this.latencyMs)
    const answer = this.answer(request)
    const id = `resp_${++responses}`
    return {
      usage: new Usage({ requests: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 }),
      responseId: id,
      output:
        "text" in answer
          ? [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: answer.text }] }]
          : [{ type: "function_call", callId: `call_${id}`, name: answer.handoff, arguments: "{}", status: "completed" }]
    }
  }

  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("the benchmark does not stream")
  }
}

export const openaiAgents: Peer = {
  name: "OpenAI Agents SDK",
  fanOut: async (n, latencyMs) => {
    const model = new ScriptedModel(() => ({ text: "done" }), latencyMs)
    const agents = Array.from({ length: n }, (_, i) => new Agent({ name: `worker_${i}`, instructions: "Do the task.", model }))
    return {
      run: async (input) => (await Promise.all(agents.map((agent) => run(agent, input)))).map((result) => String(result.finalOutput)),
      close: async () => {}
    }
  },
  router: async () => {
    const billing = new Agent({ name: "billing", instructions: "You answer billing questions.", model: new ScriptedModel(() => ({ text: answerOf("billing") })) })
    const tech = new Agent({ name: "tech", instructions: "You answer technical questions.", model: new ScriptedModel(() => ({ text: answerOf("tech") })) })
    const triage = Agent.create({
      name: "triage",
      instructions: "Hand billing questions to billing and technical ones to tech.",
      handoffs: [billing, tech],
      model: new ScriptedModel((request) => {
        const route = classify(inputText(request.input))
        const tool = request.handoffs.find((handoff) => handoff.toolName.endsWith(route))
        return { handoff: tool?.toolName ?? `transfer_to_${route}` }
      })
    })
    return { run: async (input) => [String((await run(triage, input)).finalOutput)], close: async () => {} }
  }
}
