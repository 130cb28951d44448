/**
 * @aixfx/core — messages, agents, runtimes, the model service, cost ledger and telemetry.
 */
export * as Agent from "./Agent.js"
export * from "./AgentError.js"
export * as AgentRuntime from "./AgentRuntime.js"
export * as CallContext from "./CallContext.js"
export * as CostLedger from "./CostLedger.js"
export * as DistributedRuntime from "./DistributedRuntime.js"
export * as Json from "./Json.js"
export * as LanguageModel from "./LanguageModel.js"
export * as LocalHeuristicModel from "./LocalHeuristicModel.js"
export * as LocalRuntime from "./LocalRuntime.js"
export * as Message from "./Message.js"
export * as Pricing from "./Pricing.js"
export * as Telemetry from "./Telemetry.js"
export * as Tokenizer from "./Tokenizer.js"
export * as Usage from "./Usage.js"
export * as Workflow from "./Workflow.js"
