/** The Runs view: this workspace's runs, newest first, with status and one figure (duration or cost). */
import * as vscode from "vscode"
import { runView } from "../Presentation.js"
import type { Run, RunStore } from "../RunStore.js"
import { type TraceTrees } from "../TraceTrees.js"
import { runDurationMs, treeUsage } from "../TraceTree.js"
import { treeItem } from "./items.js"

export class RunsView implements vscode.TreeDataProvider<Run> {
  private readonly changed = new vscode.EventEmitter<undefined>()
  readonly onDidChangeTreeData = this.changed.event

  constructor(
    private readonly store: RunStore,
    private readonly trees: TraceTrees,
    /** The approvals a run waits for (its durable run's, when it is suspended). */
    private readonly awaiting: (run: Run) => ReadonlyArray<string>
  ) {}

  /** Running runs' clocks stop at one instant per redraw: `now`, the same the Trace view is drawn at. */
  private now = Date.now()
  /** What the rows showed when last drawn. */
  private drawn = ""

  /**
   * Redraws the rows when what they show changed (a clock, a figure, a state): a row redrawn for
   * nothing loses the click that was on its way to one of its buttons.
   */
  refresh(now = Date.now()): void {
    const previous = this.now
    this.now = now
    const shown = JSON.stringify(this.store.runs().map((run) => [run.id, this.view(run)]))
    if (shown === this.drawn) {
      this.now = previous
      return
    }
    this.drawn = shown
    this.changed.fire(undefined)
  }

  private view(run: Run) {
    const tree = this.trees.get(run.id)
    const awaiting = run.status === "running" ? this.awaiting(run) : []
    const contextValue = run.status !== "running" ? "run" : awaiting.length > 0 ? "run.awaiting" : "run.running"
    return { ...runView(run, treeUsage(tree), runDurationMs(run, tree, this.now), awaiting), contextValue }
  }

  getTreeItem(run: Run): vscode.TreeItem {
    const { contextValue, ...view } = this.view(run)
    const item = treeItem(view, run.id, vscode.TreeItemCollapsibleState.None, contextValue)
    item.command = { command: "aixfx.selectRun", title: "Show Trace", arguments: [run.id] }
    return item
  }

  getChildren(element?: Run): Array<Run> {
    return element === undefined ? [...this.store.runs()] : []
  }

  /** Lets TreeView.reveal find a run (the list is flat). */
  getParent(): undefined {
    return undefined
  }

  dispose(): void {
    this.changed.dispose()
  }
}
