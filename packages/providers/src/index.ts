/**
 * @aixfx/providers — OpenAI, Anthropic and OpenAI-compatible models on the official SDKs; the
 * pricing table, cost tracking and budgets as middleware; scripted, recording and replay models.
 */
export * as Anthropic from "./Anthropic.js"
export * as Budget from "./Budget.js"
export * as Cassette from "./Cassette.js"
export * as CostTracking from "./CostTracking.js"
export * as Models from "./Models.js"
export * as OpenAi from "./OpenAi.js"
export * as OpenAiEmbeddings from "./OpenAiEmbeddings.js"
export * as Prices from "./Prices.js"
export * as PricingTable from "./PricingTable.js"
export * as RecordingModel from "./RecordingModel.js"
export * as ReplayModel from "./ReplayModel.js"
export * as ScriptedModel from "./ScriptedModel.js"
export { withBudget } from "./Budget.js"
export { withCostTracking } from "./CostTracking.js"
export { withRecording } from "./RecordingModel.js"
