#!/usr/bin/env node
/** The `aixfx` executable: see Cli.ts. */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Logger, LogLevel } from "effect"
import { main } from "./Cli.js"

main(process.argv).pipe(Effect.provide(NodeContext.layer), Logger.withMinimumLogLevel(LogLevel.Warning), NodeRuntime.runMain)
