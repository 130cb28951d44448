/** The Trace view: the selected run's span tree. */
import * as vscode from "vscode"
import { traceNodeView } from "../Presentation.js"
import type { TraceNode, TraceTree } from "../TraceTree.js"
import { treeItem } from "./items.js"

export class TraceView implements vscode.TreeDataProvider<TraceNode> {
  private readonly changed = new vscode.EventEmitter<undefined>()
  readonly onDidChangeTreeData = this.changed.event
  private tree: TraceTree = { roots: [], byKey: new Map() }
  /** The time open spans run until: one instant per redraw, so a parent's clock is never behind its child's. */
  private now = Date.now()

  show(tree: TraceTree, now = Date.now()): void {
    this.tree = tree
    this.now = now
    this.changed.fire(undefined)
  }

  node(key: string): TraceNode | undefined {
    return this.tree.byKey.get(key)
  }

  getTreeItem(node: TraceNode): vscode.TreeItem {
    // Open, so a run shows its whole shape at a glance.
    const state = node.children.length === 0 ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Expanded
    const item = treeItem(traceNodeView(node, this.now), node.key, state, `span.${node.kind}`)
    // The id must not change while the span runs or when it fails: VS Code keeps selection and expansion by id.
    return item
  }

  getChildren(node?: TraceNode): Array<TraceNode> {
    return [...(node === undefined ? this.tree.roots : node.children)]
  }

  getParent(node: TraceNode): TraceNode | undefined {
    return node.parentKey === undefined ? undefined : this.tree.byKey.get(node.parentKey)
  }

  dispose(): void {
    this.changed.dispose()
  }
}
