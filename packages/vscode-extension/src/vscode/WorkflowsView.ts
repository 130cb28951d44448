/** The Workflows view: files matching the workflow globs in every workspace folder. */
import * as vscode from "vscode"
import { EXCLUDE_GLOB, type Workflow, makeWorkflow } from "../Workflows.js"

export class WorkflowsView implements vscode.TreeDataProvider<Workflow> {
  private readonly changed = new vscode.EventEmitter<undefined>()
  readonly onDidChangeTreeData = this.changed.event
  private workflows: ReadonlyArray<Workflow> = []

  constructor(private readonly globs: () => ReadonlyArray<string>) {}

  /** Finds the workflows again; returns them sorted by path. */
  async refresh(): Promise<ReadonlyArray<Workflow>> {
    const found = new Map<string, Workflow>()
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      for (const glob of this.globs()) {
        for (const uri of await vscode.workspace.findFiles(new vscode.RelativePattern(folder, glob), EXCLUDE_GLOB)) {
          const workflow = makeWorkflow(folder.uri.fsPath, vscode.workspace.asRelativePath(uri, false))
          found.set(uri.fsPath, { ...workflow, path: uri.fsPath })
        }
      }
    }
    this.workflows = [...found.values()].sort((a, b) => a.relativePath.localeCompare(b.relativePath))
    this.changed.fire(undefined)
    return this.workflows
  }

  list(): ReadonlyArray<Workflow> {
    return this.workflows
  }

  find(path: string): Workflow | undefined {
    return this.workflows.find((workflow) => workflow.path === path)
  }

  getTreeItem(workflow: Workflow): vscode.TreeItem {
    const item = new vscode.TreeItem(workflow.name, vscode.TreeItemCollapsibleState.None)
    item.id = workflow.path
    item.description = workflow.relativePath
    item.tooltip = workflow.path
    item.resourceUri = vscode.Uri.file(workflow.path)
    item.iconPath = new vscode.ThemeIcon("symbol-event")
    item.contextValue = "workflow"
    item.command = { command: "vscode.open", title: "Open", arguments: [vscode.Uri.file(workflow.path)] }
    return item
  }

  getChildren(element?: Workflow): Array<Workflow> {
    return element === undefined ? [...this.workflows] : []
  }

  dispose(): void {
    this.changed.dispose()
  }
}
