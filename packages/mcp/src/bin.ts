#!/usr/bin/env node
/**
 * `aixfx-mcp --workflow <module> [--http <port>]`: serves the app a module exports by default
 * (`Mcp.app({ name, tools, layer })`) as an MCP server, on stdio unless `--http` is given (then on
 * 127.0.0.1). TypeScript modules need a loader: `node --import tsx .../bin.js --workflow app.ts`.
 */
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Cause, Effect, Exit, Fiber, Logger } from "effect"
import * as Mcp from "./Mcp.js"

const usage = "usage: aixfx-mcp --workflow <module> [--http <port>]"

const parseArgs = (argv: ReadonlyArray<string>): { readonly module: string; readonly port: number | undefined } => {
  const value = (flag: string) => {
    const i = argv.indexOf(flag)
    return i === -1 ? undefined : argv[i + 1]
  }
  const module = value("--workflow")
  if (module === undefined) throw new Error(`--workflow is required\n${usage}`)
  const http = value("--http")
  const port = http === undefined ? undefined : Number(http)
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`--http takes a port number, not "${http}"\n${usage}`)
  return { module, port }
}

const main = async () => {
  const { module, port } = parseArgs(process.argv.slice(2))
  const loaded = (await import(pathToFileURL(path.resolve(module)).href)) as { readonly default?: Mcp.App<never> }
  const app = loaded.default
  if (app === undefined || typeof app.name !== "string") throw new Error(`${module} has no default export made with Mcp.app({ name, tools, layer })`)
  const transport = port === undefined ? Mcp.stdio() : Mcp.http({ port })
  // stdout carries the protocol over stdio: logs go to stderr.
  const fiber = Effect.runFork(
    Mcp.serveApp(app, transport).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))))
  )
  // A signal ends the server the orderly way: sessions close, the app's layer releases its resources.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => Effect.runFork(Fiber.interrupt(fiber)))
  const exit = await Effect.runPromise(Fiber.await(fiber))
  if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) throw new Error(Cause.pretty(exit.cause))
}

main().catch((e: unknown) => {
  process.stderr.write(`aixfx-mcp: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
