/**
 * Parallel research: three researchers, each reading a different source, answer one question at the
 * same time; Parallel collects their findings as a JSON object keyed by researcher.
 * Runs offline on the default model; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one.
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Parallel } from "@aixfx/patterns"
import { Console, Effect } from "effect"
import { isMain, runMain } from "../shared/run.js"

export const question = "How should an agent framework handle timeouts and retries?"

const sources = {
  "effect-docs": `Effect.timeout bounds an effect and fails when the time is up. Effect.retry repeats a failed effect on a Schedule.
Schedules compose: exponential backoff with jitter and a maximum number of retries. Interruption cancels the work in flight.`,
  "grpc-docs": `A gRPC deadline tells the server how long the caller will wait. When the deadline passes the call fails with DEADLINE_EXCEEDED.
Clients should retry only idempotent calls, with backoff, and never past the caller's deadline.`,
  "provider-docs": `Model providers answer 429 when rate limited, often with a retry-after header. Retries should honour retry-after.
A 401 must not be retried. Timeouts per call keep a slow provider from blocking a workflow.`
}

const researcher = (name: keyof typeof sources) =>
  Agent.llm({
    name,
    role: `reads ${name}`,
    instructions: `Answer the question from your source only.\nSource:\n${sources[name]}`
  })

export const parallelResearch = Effect.gen(function* () {
  for (const name of Object.keys(sources) as Array<keyof typeof sources>) yield* AgentRuntime.register(researcher(name))
  const research = Parallel.make({ name: "research", agents: Object.keys(sources), aggregate: Parallel.json, stepTimeout: "30 seconds" })
  const result = yield* research.execute(Message.make(question))
  const findings = JSON.parse(result.payload) as Record<string, string>
  yield* Console.log(`Question: ${question}\n`)
  for (const [who, text] of Object.entries(findings)) yield* Console.log(`[${who}] ${text}\n`)
  return result
})

if (isMain(import.meta.url)) runMain("parallel-research", parallelResearch)
