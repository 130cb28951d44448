/**
 * An e2e workflow on the real aixfx runtime (offline model) that takes a while: a reviewer agent
 * answers, then a publishing step waits 12 s, so a viewer sees its spans running before they end.
 * The prompt names the time of the run, so two runs differ in that step's output.
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Effect } from "effect"
import { isMain, runExample } from "../../../../../examples/shared/run.js"

export const slowReview = Effect.gen(function* () {
  yield* AgentRuntime.register(Agent.llm({ name: "reviewer", instructions: "Answer the question using only the facts given." }))
  yield* AgentRuntime.register(Agent.fromFunction("publisher", (input) => Effect.as(Effect.sleep("12 seconds"), Message.make(`published: ${input.payload}`))))
  const review = yield* AgentRuntime.call("reviewer", Message.make(`When was the deploy requested?\nThe deploy was requested at ${new Date().toISOString()} by the release bot.`))
  yield* AgentRuntime.call("publisher", review)
})

if (isMain(import.meta.url)) {
  runExample("slow-review", slowReview).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
