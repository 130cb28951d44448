/** A "Run Workflow" lens at the top of every file the Workflows view lists, and "Run Replay" on a replay prompt. */
import * as vscode from "vscode"
import type { Workflow } from "../Workflows.js"

export class WorkflowCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>()
  readonly onDidChangeCodeLenses = this.changed.event

  constructor(
    private readonly find: (path: string) => Workflow | undefined,
    /** The model of a replay prompt document (by URI), which gets a "Run Replay" lens instead. */
    private readonly replayModel: (uri: string) => string | undefined
  ) {}

  refresh(): void {
    this.changed.fire()
  }

  provideCodeLenses(document: vscode.TextDocument): Array<vscode.CodeLens> {
    const model = this.replayModel(document.uri.toString())
    if (model !== undefined) return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { command: "aixfx.runReplay", title: `$(play) Run Replay on ${model}`, arguments: [document.uri] })]
    const workflow = this.find(document.uri.fsPath)
    if (workflow === undefined) return []
    return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { command: "aixfx.runWorkflow", title: "$(play) Run Workflow", arguments: [workflow] })]
  }

  dispose(): void {
    this.changed.dispose()
  }
}
