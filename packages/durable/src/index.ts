/**
 * @aixfx/durable — durable runs on @effect/workflow over embedded SQLite: a journal of every agent
 * call, crash/resume, approvals, durable sleep, the run store's cost ledger, and the `aixfx` CLI.
 */
export * as Approval from "./Approval.js"
export * as Durable from "./Durable.js"
export * from "./DurableError.js"
export * as Runs from "./Runs.js"
export * as SqlCostLedger from "./SqlCostLedger.js"
export * as Sleep from "./Sleep.js"
export * as Workflows from "./Workflows.js"
