/** The Workflows view: files matching the workflow globs in every workspace folder. */
import * as vscode from "vscode"
import { EXCLUDE_GLOB, type Workflow, makeWorkflow } from "../Workflows.js"

export class WorkflowsView implements vscode.TreeDataProvider<Workflow> {
  private readonly changed = new vscode.EventEmitter<undefined>()
  readonly onDidChangeTreeData = this.changed.event
  private workflows: ReadonlyArray<Workflow> = []
  private watchers: Array<vscode.Disposable> = []
  private pending: NodeJS.Timeout | undefined

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

  /** Follows files matching the globs being created or deleted (call again when the globs change). */
  watch(): void {
    for (const watcher of this.watchers) watcher.dispose()
    this.watchers = this.globs().map((glob) => {
      const watcher = vscode.workspace.createFileSystemWatcher(glob, false, true, false)
      // A checkout or install creates many files at once: one refresh after they settle.
      const later = () => {
        clearTimeout(this.pending)
        this.pending = setTimeout(() => void this.refresh(), 500)
      }
      watcher.onDidCreate(later)
      watcher.onDidDelete(later)
      return watcher
    })
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
    // The name alone, so the row stays readable at the default width; the path is in the hover
    // (and, when two workflows share a name, their folder tells them apart).
    const twins = this.workflows.filter((other) => other.name === workflow.name).length > 1
    if (twins) item.description = workflow.relativePath.split("/").slice(-3, -1).join("/")
    item.tooltip = workflow.relativePath
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
    clearTimeout(this.pending)
    for (const watcher of this.watchers) watcher.dispose()
    this.changed.dispose()
  }
}
