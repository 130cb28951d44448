/**
 * @aixfx/patterns — the seven orchestration patterns, each an agent.
 */
export * as Pattern from "./Pattern.js"
export * as Rag from "./Rag.js"
export * as Reflection from "./Reflection.js"
export * as Hierarchical from "./Hierarchical.js"
export * as Parallel from "./Parallel.js"
export * as Router from "./Router.js"
export * as Swarm from "./Swarm.js"
export * as Ensemble from "./Ensemble.js"
