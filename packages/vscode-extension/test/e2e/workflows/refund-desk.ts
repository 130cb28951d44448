/**
 * An e2e workflow on the real aixfx runtime (offline model): a Router sends a refund request to the
 * refunds agent, whose ledger lookup fails. The refunds agent's span is where it failed; the route
 * step, router and workflow only propagate the failure.
 */
import { Agent, AgentFailed, AgentRuntime, Message } from "@aixfx/core"
import { Router } from "@aixfx/patterns"
import { Effect } from "effect"
import { isMain, runExample } from "../../../../../examples/shared/run.js"

const lookUpLedger = (invoice: string) => Effect.fail(AgentFailed.of("refunds", `ledger has no invoice ${invoice}`))

export const refundDesk = Effect.gen(function* () {
  yield* AgentRuntime.register(Agent.llm({ name: "billing", instructions: "Answer billing questions briefly." }))
  yield* AgentRuntime.register(Agent.fromFunction("refunds", () => lookUpLedger("1042")))
  // The classifier answers "refunds" for any request that mentions a refund.
  yield* AgentRuntime.register(Agent.fromFunction("classifier", (input) => Message.make(/refund/i.test(input.payload) ? "refunds" : "billing")))
  const router = Router.make({ name: "desk", classifier: "classifier", routes: { billing: "billing", refunds: "refunds" } })
  yield* router.execute(Message.make("Please refund invoice 1042."))
})

if (isMain(import.meta.url)) {
  runExample("refund-desk", refundDesk).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
