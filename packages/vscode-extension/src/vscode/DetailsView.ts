/** The Span Details view: the selected span's error and source links, prompt, output, status and attributes. */
import * as vscode from "vscode"
import { type DetailRow, detailRows } from "../Presentation.js"
import type { SpanRecord } from "../Span.js"

/** One line of a wrapped error message, under the error's row. */
interface ErrorLine {
  readonly type: "line"
  readonly text: string
  readonly error: DetailRow
}

type Row = DetailRow | ErrorLine

export class DetailsView implements vscode.TreeDataProvider<Row> {
  private readonly changed = new vscode.EventEmitter<undefined>()
  readonly onDidChangeTreeData = this.changed.event
  private rows: ReadonlyArray<DetailRow> = []
  private span: SpanRecord | undefined

  show(span: SpanRecord | undefined): void {
    this.span = span
    this.rows = span === undefined ? [] : detailRows(span)
    this.changed.fire(undefined)
  }

  current(): SpanRecord | undefined {
    return this.span
  }

  getTreeItem(row: Row): vscode.TreeItem {
    if (row.type === "line") {
      const item = new vscode.TreeItem(row.text, vscode.TreeItemCollapsibleState.None)
      item.tooltip = row.error.value
      item.command = { command: "aixfx.showSpanContent", title: "Show in Editor", arguments: [row.error] }
      item.contextValue = "detail.errorLine"
      return item
    }
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None)
    item.description = row.value.length > 200 ? `${row.value.slice(0, 200)}…` : row.value
    item.tooltip = row.value.length > 4_000 ? `${row.value.slice(0, 4_000)}…` : row.value
    switch (row.type) {
      case "error":
        // The message is in the rows below, wrapped; the row itself only says there is one.
        item.description = ""
        item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded
        item.iconPath = new vscode.ThemeIcon("error", new vscode.ThemeColor("testing.iconFailed"))
        item.command = { command: "aixfx.showSpanContent", title: "Show in Editor", arguments: [row] }
        break
      case "source":
        item.iconPath = new vscode.ThemeIcon("go-to-file")
        item.tooltip = `${row.link.path}:${row.link.line}:${row.link.column}`
        item.command = { command: "aixfx.openSource", title: "Open Source", arguments: [row.link] }
        break
      case "content":
        item.iconPath = new vscode.ThemeIcon(row.label === "prompt" ? "comment" : "comment-discussion")
        if (row.messages !== undefined) {
          item.description = `${row.messages} message${row.messages === 1 ? "" : "s"}`
          item.tooltip = `${item.description}: click to open as a chat`
        }
        item.command = { command: "aixfx.showSpanContent", title: "Show in Editor", arguments: [row] }
        break
      case "fact":
        break
    }
    item.contextValue = `detail.${row.type}`
    return item
  }

  getChildren(row?: Row): Array<Row> {
    if (row === undefined) return [...this.rows]
    return row.type === "error" ? row.lines.map((text) => ({ type: "line", text, error: row })) : []
  }

  dispose(): void {
    this.changed.dispose()
  }
}
