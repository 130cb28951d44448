/** Child processes for the durable tests: real `node` processes (so SIGKILL hits the process itself). */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
export const cliEntry = fileURLToPath(new URL("../src/bin.ts", import.meta.url))

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export const start = (script: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Finished> } => {
  const child = spawn(process.execPath, ["--conditions=@aixfx/source", "--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env }
  })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (d) => (stdout += String(d)))
  child.stderr!.on("data", (d) => (stderr += String(d)))
  const done = new Promise<Finished>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })))
  return { child, done }
}

/** Runs a process to its end (killed after `timeoutMs`). */
export const run = async (script: string, args: ReadonlyArray<string>, timeoutMs = 240_000, env: Record<string, string> = {}): Promise<Finished> => {
  const { child, done } = start(script, args, env)
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
  try {
    return await done
  } finally {
    clearTimeout(timer)
  }
}

/** The `aixfx` CLI as a process. */
export const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => run(cliEntry, args, 240_000, env)

export const lines = (file: string): ReadonlyArray<string> => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [])

/** Waits until `file` has a line satisfying `test` (polling; bounded by `timeoutMs`). */
export const waitForLine = async (file: string, test: (line: string) => boolean, timeoutMs = 240_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (lines(file).some(test)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no line in ${file} after ${timeoutMs} ms: ${lines(file).join(" | ")}`)
}

export const lastJson = (stdout: string): any => JSON.parse(stdout.trim().split("\n").at(-1)!)
