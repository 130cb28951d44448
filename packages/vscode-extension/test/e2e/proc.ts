/**
 * Child processes for the e2e suite: each runs in its own process group (so stopping it stops
 * its children too), every wait is bounded, and only groups started here are ever signalled.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createWriteStream } from "node:fs"

export interface RunOptions {
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  readonly timeoutMs: number
  /** Output is appended here rather than printed, so CI logs stay readable. */
  readonly logFile: string
}

const started = new Set<ChildProcess>()

/** Runs a command to completion; rejects on a non-zero exit or when `timeoutMs` passes. */
export const run = (command: string, args: ReadonlyArray<string>, options: RunOptions): Promise<void> =>
  new Promise((resolve, reject) => {
    const log = createWriteStream(options.logFile, { flags: "a" })
    log.write(`\n$ ${command} ${args.join(" ")}\n`)
    const child = startGroup(command, args, options)
    child.stdout?.pipe(log, { end: false })
    child.stderr?.pipe(log, { end: false })
    const timer = setTimeout(() => {
      stopGroup(child)
      reject(new Error(`${command} timed out after ${options.timeoutMs} ms (log: ${options.logFile})`))
    }, options.timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      started.delete(child)
      log.end()
      if (code === 0) resolve()
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code ?? signal} (log: ${options.logFile})`))
    })
  })

/** Starts a long-running process in its own group; stop it with `stopGroup`. */
export const startGroup = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly logFile?: string }
): ChildProcess => {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  started.add(child)
  if (options.logFile !== undefined) {
    const log = createWriteStream(options.logFile, { flags: "a" })
    child.stdout?.pipe(log)
    child.stderr?.pipe(log)
  }
  child.on("exit", () => started.delete(child))
  return child
}

/** SIGTERM to the whole group, SIGKILL after a grace period if anything is left. */
export const stopGroup = (child: ChildProcess, graceMs = 3_000): Promise<void> =>
  new Promise((resolve) => {
    const pid = child.pid
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      signalGroup(pid, "SIGKILL")
      resolve()
      return
    }
    const timer = setTimeout(() => {
      signalGroup(pid, "SIGKILL")
      resolve()
    }, graceMs)
    child.once("exit", () => {
      clearTimeout(timer)
      // The leader is gone; stragglers in its group still get the final signal.
      signalGroup(pid, "SIGKILL")
      resolve()
    })
    signalGroup(pid, "SIGTERM")
  })

/** Stops every group this module started (used on the way out, also after a failure). */
export const stopAll = async (): Promise<void> => {
  await Promise.all([...started].map((child) => stopGroup(child)))
}

const signalGroup = (pid: number | undefined, signal: NodeJS.Signals): void => {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group has already exited.
  }
}
