/**
 * A workflow's child process. It gets its own process group, so Stop Run ends the workflow and
 * anything it started, and nothing else.
 */
import { spawn } from "node:child_process"
import type { LaunchCommand } from "./Workflows.js"

export interface Launched {
  readonly pid: number | undefined
  /** Resolves with the exit code, or undefined when a signal ended it. */
  readonly exited: Promise<{ readonly code: number | undefined; readonly signal: NodeJS.Signals | undefined }>
  /** SIGTERM to the group, SIGKILL after `graceMs` if it is still there. */
  readonly stop: (graceMs?: number) => Promise<void>
}

export interface LaunchOptions {
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
  readonly onOutput: (text: string) => void
}

export const launch = (command: LaunchCommand, options: LaunchOptions): Launched => {
  const posix = process.platform !== "win32"
  const child = spawn(command.command, [...command.args], { cwd: options.cwd, env: options.env, detached: posix, stdio: ["ignore", "pipe", "pipe"] })
  child.stdout.setEncoding("utf8").on("data", options.onOutput)
  child.stderr.setEncoding("utf8").on("data", options.onOutput)
  const exited = new Promise<{ code: number | undefined; signal: NodeJS.Signals | undefined }>((resolve) => {
    child.once("error", (error) => {
      options.onOutput(`${error.message}\n`)
      resolve({ code: 127, signal: undefined })
    })
    // "exit", not "close": a grandchild holding the pipes open must not keep the run "running".
    child.once("exit", (code, signal) => resolve({ code: code ?? undefined, signal: signal ?? undefined }))
  })
  const signal = (name: NodeJS.Signals): void => {
    if (child.pid === undefined) return
    try {
      if (posix) process.kill(-child.pid, name)
      else child.kill(name)
    } catch {
      // ESRCH: already gone.
    }
  }
  const stop = async (graceMs = 3_000): Promise<void> => {
    signal("SIGTERM")
    let timer: NodeJS.Timeout | undefined
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        signal("SIGKILL")
        resolve()
      }, graceMs)
    })
    await Promise.race([exited.then(() => undefined), killed])
    clearTimeout(timer)
    // The leader may have exited while children it started linger in the group.
    signal("SIGKILL")
  }
  return { pid: child.pid, exited, stop }
}
