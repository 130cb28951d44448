/**
 * The Durable Runs view: the runs in the workspace's run store (`@aixfx/durable`), their state and
 * what a suspended one waits for, with Approve / Approve with Edited Payload / Reject, all through
 * the workspace's `aixfx` CLI. The list is read again when the store's files change (checked every
 * 2 s while the view is visible) and after each decision.
 */
import { existsSync, statSync } from "node:fs"
import { basename } from "node:path"
import * as vscode from "vscode"
import {
  DurableCliError,
  type DurableRun,
  type PendingApproval,
  approveDurableRun,
  findDurableCli,
  listDurableRuns,
  rejectDurableRun,
  storeSignature
} from "../DurableRuns.js"
import { durableRunView } from "../Presentation.js"
import type { LaunchCommand } from "../Workflows.js"
import { treeItem } from "./items.js"

const POLL_MS = 2_000

export interface DurableRunsContext {
  /** The workspace folder the store and the CLI belong to (undefined: no folder open). */
  readonly root: () => string | undefined
  /** The store file (absolute). */
  readonly store: () => string
  /** Folders to look for the workspace's `@aixfx/durable` from (besides the root): the workflows' folders. */
  readonly searchFrom: () => ReadonlyArray<string>
}

const stat = (path: string) => {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

export class DurableRunsView implements vscode.TreeDataProvider<DurableRun> {
  private readonly changed = new vscode.EventEmitter<undefined>()
  readonly onDidChangeTreeData = this.changed.event
  readonly view: vscode.TreeView<DurableRun>
  private runs: ReadonlyArray<DurableRun> = []
  /** The store's signature when it was last listed; a different one means something changed. */
  private listedSignature: string | undefined
  private listedStore: string | undefined
  private listing: Promise<void> | undefined
  private again = false
  private readonly poll: NodeJS.Timeout

  constructor(private readonly context: DurableRunsContext) {
    this.view = vscode.window.createTreeView("aixfx.durableRuns", { treeDataProvider: this })
    this.poll = setInterval(() => {
      if (this.view.visible) void this.refreshIfChanged()
    }, POLL_MS)
    this.view.onDidChangeVisibility(() => {
      if (this.view.visible) void this.refreshIfChanged()
    })
  }

  list(): ReadonlyArray<DurableRun> {
    return this.runs
  }

  /** Reads the list again when the store changed (or moved) since it was last read. */
  refreshIfChanged(): Promise<void> {
    const store = this.context.store()
    if (store === this.listedStore && storeSignature(store, stat) === this.listedSignature) return Promise.resolve()
    return this.refresh()
  }

  /** Reads the list through the CLI (one read at a time; a request during a read reads once more after it). */
  refresh(): Promise<void> {
    if (this.listing !== undefined) {
      this.again = true
      return this.listing
    }
    const listing = Promise.resolve(vscode.window.withProgress({ location: { viewId: "aixfx.durableRuns" } }, () => this.read())).finally(() => {
      this.listing = undefined
      if (this.again) {
        this.again = false
        void this.refresh()
      }
    })
    this.listing = listing
    return listing
  }

  private async read(): Promise<void> {
    const store = this.context.store()
    const root = this.context.root()
    this.view.description = basename(store)
    const show = (runs: ReadonlyArray<DurableRun>, message: string): void => {
      this.runs = runs
      this.view.message = message
      this.changed.fire(undefined)
    }
    const signature = storeSignature(store, stat)
    this.listedStore = store
    this.listedSignature = signature
    // The CLI would create a missing store; the view only reads one that exists.
    if (signature === undefined || root === undefined) return show([], `No run store at ${store} yet. Durable runs (@aixfx/durable) keep their state there; the aixfx.durable.store setting names another file.`)
    const cli = this.cli(root)
    if (cli === undefined) return show([], "The aixfx CLI was not found: install @aixfx/durable (and tsx) in this workspace.")
    try {
      const runs = await listDurableRuns(cli, store, { cwd: root })
      // Newest first, like the Runs view.
      show([...runs].sort((a, b) => b.createdAt - a.createdAt), runs.length === 0 ? `No durable runs in ${basename(store)}.` : "")
    } catch (error) {
      show(this.runs, `aixfx runs failed: ${error instanceof Error ? error.message : String(error)}`)
    }
    // What the read itself touched (a WAL checkpoint) is not a change to read again.
    this.listedSignature = storeSignature(store, stat)
  }

  private cli(root: string): LaunchCommand | undefined {
    return findDurableCli([root, ...this.context.searchFrom()], root, existsSync)
  }

  /** The approval a command acts on: the one given, the run's only one, or the one picked. */
  private async approvalOf(run: DurableRun, name?: string): Promise<PendingApproval | undefined> {
    if (name !== undefined) return run.awaiting.find((approval) => approval.name === name) ?? { name, payload: undefined, requestedAt: 0 }
    if (run.awaiting.length <= 1) return run.awaiting[0]
    return (await vscode.window.showQuickPick(run.awaiting.map((approval) => ({ label: approval.name, description: JSON.stringify(approval.payload), approval })), { title: `Which approval of ${run.runId}?` }))?.approval
  }

  /** The run a command acts on: the one given (a row or an id), else one picked from those that wait. */
  private async runOf(arg: DurableRun | string | undefined): Promise<DurableRun | undefined> {
    if (arg === undefined) {
      const waiting = this.runs.filter((run) => run.awaiting.length > 0)
      return (await vscode.window.showQuickPick(waiting.map((run) => ({ label: run.runId, description: durableRunView(run).description, run })), { title: "Durable run" }))?.run
    }
    const id = typeof arg === "string" ? arg : arg.runId
    return this.runs.find((run) => run.runId === id) ?? (typeof arg === "object" ? arg : undefined)
  }

  /**
   * Approves what `arg` waits for; `edit` first opens its payload (JSON) for editing; an explicit
   * `payload` (from a test or another command) is sent as given. Returns whether it was approved.
   */
  async approve(arg: DurableRun | string | undefined, options: { readonly approval?: string; readonly edit?: boolean; readonly payload?: unknown } = {}): Promise<boolean> {
    const run = await this.runOf(arg)
    const approval = run === undefined ? undefined : await this.approvalOf(run, options.approval)
    if (run === undefined || approval === undefined) {
      void vscode.window.showInformationMessage("aixfx: pick a durable run that waits for an approval.")
      return false
    }
    let payload = options.payload
    if (payload === undefined && options.edit === true) {
      const text = await vscode.window.showInputBox({
        title: `Approve ${approval.name} of ${run.runId} with this payload (JSON)`,
        value: JSON.stringify(approval.payload),
        validateInput: (value) => {
          try {
            JSON.parse(value)
            return undefined
          } catch (error) {
            return `Not JSON: ${error instanceof Error ? error.message : String(error)}`
          }
        }
      })
      if (text === undefined) return false
      payload = JSON.parse(text)
    }
    return this.decide(`approved ${approval.name} of ${run.runId}`, (cli, root) =>
      approveDurableRun(cli, this.context.store(), run.runId, approval.name, { cwd: root, ...(payload === undefined ? {} : { payload }) })
    )
  }

  /** Rejects what `arg` waits for, with a reason (asked for unless given). */
  async reject(arg: DurableRun | string | undefined, options: { readonly approval?: string; readonly reason?: string } = {}): Promise<boolean> {
    const run = await this.runOf(arg)
    const approval = run === undefined ? undefined : await this.approvalOf(run, options.approval)
    if (run === undefined || approval === undefined) {
      void vscode.window.showInformationMessage("aixfx: pick a durable run that waits for an approval.")
      return false
    }
    const reason = options.reason ?? (await vscode.window.showInputBox({ title: `Reject ${approval.name} of ${run.runId}`, prompt: "Reason (the run fails with ApprovalRejected carrying it)", value: "rejected" }))
    if (reason === undefined) return false
    return this.decide(`rejected ${approval.name} of ${run.runId}`, (cli, root) => rejectDurableRun(cli, this.context.store(), run.runId, approval.name, { cwd: root, reason }))
  }

  private async decide(done: string, call: (cli: LaunchCommand, root: string) => Promise<unknown>): Promise<boolean> {
    const root = this.context.root()
    const cli = root === undefined ? undefined : this.cli(root)
    if (root === undefined || cli === undefined) {
      void vscode.window.showErrorMessage("aixfx: the aixfx CLI was not found: install @aixfx/durable (and tsx) in this workspace.")
      return false
    }
    try {
      await vscode.window.withProgress({ location: { viewId: "aixfx.durableRuns" } }, () => call(cli, root))
      void vscode.window.showInformationMessage(`aixfx: ${done}; a runner with the run's program continues it.`)
      return true
    } catch (error) {
      const message = error instanceof DurableCliError ? error.message : String(error)
      void vscode.window.showErrorMessage(`aixfx: ${message}`)
      return false
    } finally {
      await this.refresh()
    }
  }

  getTreeItem(run: DurableRun): vscode.TreeItem {
    const contextValue = run.awaiting.length > 0 ? "durable.awaiting" : `durable.${run.status}`
    return treeItem(durableRunView(run), `durable:${run.runId}`, vscode.TreeItemCollapsibleState.None, contextValue)
  }

  getChildren(element?: DurableRun): Array<DurableRun> {
    return element === undefined ? [...this.runs] : []
  }

  dispose(): void {
    clearInterval(this.poll)
    this.view.dispose()
    this.changed.dispose()
  }
}
