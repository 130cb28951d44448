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
    private readonly trees: TraceTrees
  ) {}

  refresh(): void {
    this.changed.fire(undefined)
  }

  getTreeItem(run: Run): vscode.TreeItem {
    const tree = this.trees.get(run.id)
    const view = runView(run, treeUsage(tree), runDurationMs(run, tree, Date.now()))
    const item = treeItem(view, run.id, vscode.TreeItemCollapsibleState.None, run.status === "running" ? "run.running" : "run")
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
