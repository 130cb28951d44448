/**
 * Cleanups of what a benchmark started outside its own process (runner processes, a throwaway
 * Postgres), run however the bench process ends: a normal exit, an uncaught error or an unhandled
 * rejection (both still emit "exit"), or SIGINT / SIGTERM / SIGHUP (which would not). They run
 * synchronously, as an "exit" listener must. A benchmark removes its cleanup once it stopped the
 * thing itself (its try/finally), so only what a failure left behind is cleaned up here.
 */
import { constants } from "node:os"

const cleanups = new Set<() => void>()

const runAll = () => {
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup)
    try {
      cleanup()
    } catch (error) {
      process.stderr.write(`bench cleanup failed: ${String(error)}\n`)
    }
  }
}

let installed = false
const install = () => {
  if (installed) return
  installed = true
  process.on("exit", runAll)
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping what the benchmarks started\n`)
      runAll()
      process.exit(128 + constants.signals[signal])
    })
  }
}

/** Registers `cleanup` to run when the process ends; the returned function unregisters it. */
export const onExit = (cleanup: () => void): (() => void) => {
  install()
  cleanups.add(cleanup)
  return () => {
    cleanups.delete(cleanup)
  }
}
