/** The Span Details view: the selected span's prompt, output, status and attributes. */
import * as vscode from "vscode"
import { type DetailRow, detailRows } from "../Presentation.js"
import type { SpanRecord } from "../Span.js"

export class DetailsView implements vscode.TreeDataProvider<DetailRow> {
  private readonly changed = new vscode.EventEmitter<undefined>()
  readonly onDidChangeTreeData = this.changed.event
  private rows: ReadonlyArray<DetailRow> = []

  show(span: SpanRecord | undefined): void {
    this.rows = span === undefined ? [] : detailRows(span)
    this.changed.fire(undefined)
  }

  getTreeItem(row: DetailRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None)
    item.description = row.value.length > 200 ? `${row.value.slice(0, 200)}…` : row.value
    item.tooltip = row.value.length > 2_000 ? `${row.value.slice(0, 2_000)}…` : row.value
    if (row.content) {
      item.iconPath = new vscode.ThemeIcon(row.label === "prompt" ? "comment" : "comment-discussion")
      item.command = { command: "aixfx.showSpanContent", title: "Show in Editor", arguments: [row] }
    }
    return item
  }

  getChildren(row?: DetailRow): Array<DetailRow> {
    return row === undefined ? [...this.rows] : []
  }

  dispose(): void {
    this.changed.dispose()
  }
}
