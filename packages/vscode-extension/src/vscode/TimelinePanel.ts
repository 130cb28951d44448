/** The Trace Timeline webview: a Gantt chart of the selected run, clicks select Trace view nodes. */
import { randomBytes } from "node:crypto"
import * as vscode from "vscode"
import { timelineData } from "../Timeline.js"
import { makeNonce, timelineHtml } from "../TimelineHtml.js"
import type { Run } from "../RunStore.js"
import type { TraceTree } from "../TraceTree.js"

type FromWebview = { readonly type: "ready" } | { readonly type: "select"; readonly key: string }

export class TimelinePanel {
  private panel: vscode.WebviewPanel | undefined
  private current: { readonly run: Run; readonly tree: TraceTree } | undefined

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onSelect: (key: string) => void
  ) {}

  show(run: Run, tree: TraceTree): void {
    this.current = { run, tree }
    if (this.panel === undefined) this.panel = this.create()
    else this.panel.reveal(undefined, true)
    this.post()
  }

  /** Redraws when the panel is open and shows `run`, or switches it to `run`. */
  update(run: Run, tree: TraceTree): void {
    if (this.panel === undefined) return
    this.current = { run, tree }
    this.post()
  }

  select(key: string): void {
    void this.panel?.webview.postMessage({ type: "select", key })
  }

  dispose(): void {
    this.panel?.dispose()
  }

  private post(): void {
    if (this.panel === undefined || this.current === undefined) return
    this.panel.title = `Timeline: ${this.current.run.label}`
    void this.panel.webview.postMessage({ type: "trace", data: timelineData(this.current.run, this.current.tree, Date.now()) })
  }

  private create(): vscode.WebviewPanel {
    const media = vscode.Uri.joinPath(this.extensionUri, "media")
    const dist = vscode.Uri.joinPath(this.extensionUri, "dist")
    const panel = vscode.window.createWebviewPanel("aixfx.timeline", "Trace Timeline", { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [media, dist]
    })
    const webview = panel.webview
    webview.html = timelineHtml({
      nonce: makeNonce(randomBytes),
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "timeline.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "timeline.css")).toString()
    })
    webview.onDidReceiveMessage((message: FromWebview) => {
      if (message.type === "ready") this.post()
      else if (message.type === "select") this.onSelect(message.key)
    })
    panel.onDidDispose(() => {
      this.panel = undefined
    })
    return panel
  }
}
