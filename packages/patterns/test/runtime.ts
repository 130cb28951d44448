/**
 * The runtime the pattern tests run on: `LocalRuntime`. `pnpm test:durable` runs the same test files
 * again with this module swapped (a resolve alias, vitest.durable.config.ts) for one that runs each
 * test inside a durable run over a SQLite file (packages/durable/test/patternRuntime.ts).
 */
import { type AgentRuntime, LocalRuntime } from "@aixfx/core"
import { Effect } from "effect"

export const withRuntime = <A, E>(effect: Effect.Effect<A, E, AgentRuntime.AgentRuntime>) => Effect.provide(effect, LocalRuntime.layer())
