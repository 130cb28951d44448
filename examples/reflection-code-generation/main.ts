/**
 * Reflection for code generation: a coder drafts a retry helper from the team's reference snippets, a
 * reviewer scores each draft against the task and says what is missing, and the coder revises until
 * the score is high enough or stops improving. The best-scoring draft wins (not the last one).
 * Runs offline on the default model; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one.
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Reflection } from "@aixfx/patterns"
import { Console, Effect } from "effect"
import { retrySnippet } from "../shared/retrySnippet.js"
import { isMain, runMain } from "../shared/run.js"

export const task =
  "Write retryWithBackoff in TypeScript: retry a failed async call with exponential backoff and jitter, at most maxAttempts times, then rethrow the last error."

/** The team's reference snippets, given to the coder as an earlier turn of the conversation. */
const snippets = `Reference snippets from our codebase:
${retrySnippet}`

const coder = Agent.llm({
  name: "coder",
  role: "writes code",
  instructions: "You write TypeScript. Write the code the task asks for, reusing the reference snippets. Reply with the code only."
})

const reviewer = Agent.llm({
  name: "reviewer",
  role: "reviews code",
  instructions:
    'You are a strict code critic. Score the draft against the task from 0 to 1 and reply with JSON {"score": number, "feedback": "what is missing"}.'
})

export const reflectionCodeGeneration = Effect.gen(function* () {
  yield* AgentRuntime.register(coder)
  yield* AgentRuntime.register(reviewer)
  const loop = Reflection.make({ name: "code-review-loop", generator: "coder", critic: "reviewer", maxIterations: 3, qualityThreshold: 0.9 })
  const result = yield* loop.execute(Message.make({ payload: task, metadata: { conversation: [{ role: "user", content: snippets }] } }))
  const outcome = yield* Reflection.outcome(result)
  yield* Console.log(`Task:\n${task}\n`)
  for (const { critiques, iteration, score } of outcome.iterations) {
    yield* Console.log(`Draft ${iteration}: score ${score} — ${critiques.map((c) => c.feedback).join(" | ")}`)
  }
  yield* Console.log(`\nBest draft (iteration ${outcome.bestIteration}, score ${outcome.bestScore}):\n${result.payload}\n`)
  yield* Console.log(`Stopped: ${outcome.stopReason}`)
  return result
})

if (isMain(import.meta.url)) runMain("reflection-code-generation", reflectionCodeGeneration)
