/**
 * @aixfx/providers — OpenAI, Anthropic and OpenAI-compatible models on the official SDKs; the
 * pricing table, cost tracking and budgets as middleware; scripted, recording and replay models.
 */
export * as Anthropic from "./Anthropic.js"
export * as OpenAi from "./OpenAi.js"
export * as PricingTable from "./PricingTable.js"
export * as ScriptedModel from "./ScriptedModel.js"
