/**
 * The Durable Runs view's data, against the REAL `aixfx` CLI of this repository on real SQLite
 * stores: examples/approval-workflow runs (as a real process, `--wait`) until it suspends for its
 * "publish" approval, then the CLI lists, approves (with an edited payload) or rejects it, and the
 * waiting process continues to its end. Part of `pnpm test:processes` (about a minute).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DurableCliError, type DurableRun, approveDurableRun, findDurableCli, listDurableRuns, rejectDurableRun } from "../../src/DurableRuns.js"

const repository = fileURLToPath(new URL("../../../..", import.meta.url)).replace(/\/$/, "")
const example = join(repository, "examples", "approval-workflow", "main.ts")
const dir = mkdtempSync(join(tmpdir(), "aixfx-durable-view-"))

/** A runner process of the example, waiting for the decision on run `runId` in `store`. */
interface Runner {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

const startRunner = (store: string, runId: string): Runner => {
  let output = ""
  // node --import tsx: the PID is the runner itself, and it gets its own group to stop.
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@aixfx/source", example, runId, "--wait"], {
    cwd: repository,
    env: { ...process.env, AIXFX_DB: store },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (output += text))
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (output += text))
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return { child, output: () => output, exited }
}

const until = async (what: string, probe: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const within = <A>(promise: Promise<A>, what: string, timeoutMs: number): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)))]).finally(() =>
    clearTimeout(timer)
  )
}

const stores = { approve: join(dir, "approve.db"), reject: join(dir, "reject.db") }
const runners: Array<Runner> = []
const cli = findDurableCli([join(repository, "examples", "approval-workflow")], repository, existsSync)
const options = { cwd: repository }

beforeAll(async () => {
  runners.push(startRunner(stores.approve, "note-approve"), startRunner(stores.reject, "note-reject"))
  // Both suspend for "publish" (they draft with the offline model first).
  await Promise.all(runners.map((runner, i) => until(`runner ${i} to suspend (output: ${runner.output()})`, () => runner.output().includes("waits for approval"), 150_000)))
}, 180_000)

afterAll(() => {
  for (const runner of runners) {
    if (runner.child.pid !== undefined && runner.child.exitCode === null && runner.child.signalCode === null) {
      try {
        process.kill(-runner.child.pid, "SIGKILL")
      } catch {
        // Already gone.
      }
    }
  }
  rmSync(dir, { recursive: true, force: true })
})

const only = (runs: ReadonlyArray<DurableRun>): DurableRun => {
  expect(runs).toHaveLength(1)
  return runs[0]!
}

// Concurrent: each CLI call takes seconds (it loads the durable engine), the two stores are independent.
describe.concurrent("durable runs through the real CLI", () => {
  it("approve (with an edited payload): lists the suspended run and what it waits for, and the waiting process finishes with the edited payload", async () => {
    const suspended = only(await listDurableRuns(cli!, stores.approve, options))
    expect(suspended).toMatchObject({ runId: "note-approve", workflow: "release-note", status: "suspended", error: null })
    expect(suspended.awaiting.map((approval) => approval.name)).toEqual(["publish"])
    const asked = suspended.awaiting[0]!.payload as { title: string; body: string }
    expect(asked.title).toBe("Durable runs")
    expect(typeof asked.body).toBe("string")

    await approveDurableRun(cli!, stores.approve, "note-approve", "publish", { ...options, payload: { ...asked, title: "Edited in the editor" } })
    const runner = runners[0]!
    expect(await within(runner.exited, "the approved run's process to finish", 120_000)).toBe(0)
    expect(runner.output()).toContain("Published: Edited in the editor: ")
    const done = only(await listDurableRuns(cli!, stores.approve, options))
    expect(done).toMatchObject({ runId: "note-approve", status: "done", awaiting: [] })

    // A decision is final: the CLI's own message comes back as bad input.
    const again = await approveDurableRun(cli!, stores.approve, "note-approve", "publish", options).then(
      () => undefined,
      (error: unknown) => error
    )
    expect(again).toBeInstanceOf(DurableCliError)
    expect((again as DurableCliError).badInput).toBe(true)
    expect((again as DurableCliError).message).toMatch(/already approved/)
  }, 300_000)

  it("reject: the waiting process ends, the run is failed with the reason", async () => {
    expect(only(await listDurableRuns(cli!, stores.reject, options)).awaiting.map((approval) => approval.name)).toEqual(["publish"])
    await rejectDurableRun(cli!, stores.reject, "note-reject", "publish", { ...options, reason: "not this week" })
    const runner = runners[1]!
    expect(await within(runner.exited, "the rejected run's process to end", 120_000)).not.toBe(0)
    const failed = only(await listDurableRuns(cli!, stores.reject, options))
    expect(failed).toMatchObject({ runId: "note-reject", status: "failed", awaiting: [] })
    expect(failed.error).toMatch(/not this week/)
  }, 300_000)

  it("an unknown run is bad input with the CLI's message", async () => {
    const error = await rejectDurableRun(cli!, stores.reject, "no-such-run", "publish", options).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(DurableCliError)
    expect((error as DurableCliError).badInput).toBe(true)
    expect((error as DurableCliError).message).toMatch(/no-such-run/)
  }, 120_000)
})
