/**
 * An e2e workflow: examples/approval-workflow on the store the editor names ($AIXFX_DB), waiting for
 * a person's decision instead of approving itself: it suspends for "publish" until someone approves
 * or rejects it (the Durable Runs view does, through the aixfx CLI), then finishes.
 */
import { Effect } from "effect"
import { approvalWorkflow } from "../../../../../examples/approval-workflow/main.js"
import { isMain } from "../../../../../examples/shared/run.js"

if (isMain(import.meta.url)) {
  Effect.runPromise(approvalWorkflow(process.env["AIXFX_DB"] ?? "aixfx.db", `e2e-${Date.now().toString(36)}`, true)).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
