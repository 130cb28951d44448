#!/usr/bin/env node
/** The `aixfx` executable: see Cli.ts. */
import { Failure } from "@aixfx/core"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Logger, LogLevel } from "effect"
import { main } from "./Cli.js"

// A failure is one line and its cause (Failure.report), not a fiber dump; bad input is handled in `main`.
NodeRuntime.runMain(
  main(process.argv).pipe(Failure.report("aixfx"), Effect.provide(NodeContext.layer), Logger.withMinimumLogLevel(LogLevel.Warning)),
  { disableErrorReporting: true }
)
