/**
 * @aixfx/cluster — the AgentRuntime on @effect/cluster with Postgres: agents as sharded entities
 * across runner processes, and a cluster-wide cost ledger and budget.
 */
export * as ClusterDurable from "./ClusterDurable.js"
export * as ClusterHealth from "./ClusterHealth.js"
export * as ClusterRuntime from "./ClusterRuntime.js"
export * as PgBudgetStore from "./PgBudgetStore.js"
