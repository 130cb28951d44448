/** ItemView (plain data) → vscode.TreeItem. */
import * as vscode from "vscode"
import type { ItemView } from "../Presentation.js"

export const treeItem = (view: ItemView, id: string, collapsible: vscode.TreeItemCollapsibleState, contextValue: string): vscode.TreeItem => {
  const item = new vscode.TreeItem(view.label, collapsible)
  item.id = id
  item.description = view.description
  item.tooltip = new vscode.MarkdownString(view.tooltip)
  item.iconPath = new vscode.ThemeIcon(view.icon, view.color === undefined ? undefined : new vscode.ThemeColor(view.color))
  item.contextValue = contextValue
  return item
}
