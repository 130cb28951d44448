/**
 * Durable runs (`@aixfx/durable`): the runs in a workspace's run store (a SQLite file) and what a
 * suspended one waits for, approved or rejected through the workspace's own `aixfx` CLI
 * (`aixfx runs --json`, `aixfx approve`, `aixfx reject`), over the process boundary: the extension
 * never opens the store itself.
 */
import { execFile } from "node:child_process"
import { isAbsolute, join, resolve } from "node:path"
import { findInstall } from "./Install.js"
import type { LaunchCommand } from "./Workflows.js"

export type DurableRunStatus = "running" | "suspended" | "done" | "failed" | "cancelled"

export interface PendingApproval {
  readonly name: string
  /** What the run asks to approve (any JSON value). */
  readonly payload: unknown
  readonly requestedAt: number
}

/** One run as `aixfx runs --json` prints it. */
export interface DurableRun {
  readonly runId: string
  readonly workflow: string
  readonly status: DurableRunStatus
  readonly awaiting: ReadonlyArray<PendingApproval>
  readonly error: string | null
  readonly createdAt: number
  readonly updatedAt: number
}

/** The CLI failed: `badInput` when it refused what it was asked (exit code 2: unknown run, not waiting, already decided). */
export class DurableCliError extends Error {
  override readonly name = "DurableCliError"
  constructor(
    message: string,
    readonly badInput: boolean
  ) {
    super(message)
  }
}

export const DEFAULT_STORE = "aixfx.db"

/** The store the view shows: the setting, else $AIXFX_DB, else `aixfx.db`; relative to the workspace root. */
export const storePath = (setting: string, env: NodeJS.ProcessEnv, workspaceRoot: string): string => {
  const chosen = setting.trim() !== "" ? setting.trim() : env["AIXFX_DB"] !== undefined && env["AIXFX_DB"] !== "" ? env["AIXFX_DB"] : DEFAULT_STORE
  return isAbsolute(chosen) ? chosen : resolve(workspaceRoot, chosen)
}

/**
 * The workspace's `aixfx` CLI: `@aixfx/durable` installed in a folder from one of `starts` up to
 * `root`. Its built `dist/bin.js` runs with node; without a build (a workspace package), its
 * `src/bin.ts` runs with the workspace's tsx and the `@aixfx/source` condition.
 */
export const findDurableCli = (starts: ReadonlyArray<string>, root: string, exists: (path: string) => boolean): LaunchCommand | undefined => {
  for (const start of starts) {
    const install = findInstall("@aixfx/durable", start, root, exists)
    if (install === undefined) continue
    const pkg = join(install.dir, "node_modules", "@aixfx", "durable")
    if (exists(join(pkg, "dist", "bin.js"))) return { command: "node", args: [join(pkg, "dist", "bin.js")] }
    if (install.tsx !== undefined && exists(join(pkg, "src", "bin.ts"))) return { command: install.tsx, args: ["--conditions=@aixfx/source", join(pkg, "src", "bin.ts")] }
  }
  return undefined
}

const STATUSES = new Set<string>(["running", "suspended", "done", "failed", "cancelled"])

const fail = (why: string): never => {
  throw new DurableCliError(`aixfx runs --json printed an unexpected list: ${why}`, false)
}

/** The runs from `aixfx runs --json`, checked field by field (a different CLI version is named, not misread). */
export const parseRuns = (stdout: string): ReadonlyArray<DurableRun> => {
  const start = stdout.indexOf("[")
  let parsed: unknown
  try {
    parsed = JSON.parse(start < 0 ? stdout : stdout.slice(start))
  } catch (error) {
    return fail(`not JSON (${error instanceof Error ? error.message : String(error)}): ${stdout.slice(0, 200)}`)
  }
  if (!Array.isArray(parsed)) return fail("not an array")
  return parsed.map((entry: unknown, index): DurableRun => {
    const run = (typeof entry === "object" && entry !== null ? entry : fail(`entry ${index} is not an object`)) as Record<string, unknown>
    const text = (key: string): string => (typeof run[key] === "string" ? (run[key] as string) : fail(`entry ${index} has no string ${key}`))
    const number = (value: unknown, what: string): number => (typeof value === "number" ? value : fail(`entry ${index} has no number ${what}`))
    const status = text("status")
    if (!STATUSES.has(status)) fail(`entry ${index} has an unknown status ${status}`)
    const awaiting = Array.isArray(run["awaiting"]) ? run["awaiting"] : fail(`entry ${index} has no awaiting list`)
    return {
      runId: text("runId"),
      workflow: text("workflow"),
      status: status as DurableRunStatus,
      awaiting: awaiting.map((approval: unknown) => {
        const a = (typeof approval === "object" && approval !== null ? approval : fail(`entry ${index} awaits a non-object`)) as Record<string, unknown>
        return { name: typeof a["name"] === "string" ? a["name"] : fail(`entry ${index} awaits an approval without a name`), payload: a["payload"], requestedAt: number(a["requestedAt"], "requestedAt") }
      }),
      error: typeof run["error"] === "string" ? run["error"] : null,
      createdAt: number(run["createdAt"], "createdAt"),
      updatedAt: number(run["updatedAt"], "updatedAt")
    }
  })
}

export interface CliOptions {
  readonly cwd: string
  readonly env?: NodeJS.ProcessEnv
  readonly timeoutMs?: number
}

/** Runs the CLI; resolves with its output, or rejects with a DurableCliError carrying its `error:` line. */
export const runDurableCli = (cli: LaunchCommand, args: ReadonlyArray<string>, options: CliOptions): Promise<string> =>
  new Promise((resolvePromise, reject) => {
    execFile(cli.command, [...cli.args, ...args], { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) return resolvePromise(stdout)
      const said = /^error: (.*)$/m.exec(stderr)?.[1] ?? (stderr.trim().split("\n").slice(-3).join(" ") || error.message)
      reject(new DurableCliError(`aixfx ${args[0] ?? ""}: ${said}`, error.code === 2))
    })
  })

export const listDurableRuns = async (cli: LaunchCommand, store: string, options: CliOptions): Promise<ReadonlyArray<DurableRun>> =>
  parseRuns(await runDurableCli(cli, ["runs", "--json", "--db", store], options))

/** Approves `approval` of `runId`; with `payload`, the run gets that instead of what it asked with. */
export const approveDurableRun = (cli: LaunchCommand, store: string, runId: string, approval: string, options: CliOptions & { readonly payload?: unknown }): Promise<string> =>
  runDurableCli(cli, ["approve", runId, approval, "--db", store, ...(options.payload === undefined ? [] : ["--payload", JSON.stringify(options.payload)])], options)

/** Rejects `approval` of `runId`: the run fails with ApprovalRejected carrying `reason`. */
export const rejectDurableRun = (cli: LaunchCommand, store: string, runId: string, approval: string, options: CliOptions & { readonly reason?: string }): Promise<string> =>
  runDurableCli(cli, ["reject", runId, approval, "--db", store, ...(options.reason === undefined ? [] : ["--reason", options.reason])], options)

/**
 * What the store's files look like now (size and mtime of the file and its WAL): the view asks the
 * CLI again only when this changes, so reading the store (which may touch its files) does not loop.
 */
export const storeSignature = (store: string, stat: (path: string) => { readonly size: number; readonly mtimeMs: number } | undefined): string | undefined => {
  const main = stat(store)
  if (main === undefined) return undefined
  const wal = stat(`${store}-wal`)
  return `${main.size}:${main.mtimeMs}:${wal?.size ?? 0}:${wal?.mtimeMs ?? 0}`
}
