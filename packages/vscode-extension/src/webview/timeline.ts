/**
 * Runs inside the timeline webview (bundled separately, DOM only). Draws the bars and the usage
 * tables from the extension's `trace` message; a click on a bar asks the extension to select
 * that node in the Trace view.
 */
import type { TimelineData } from "../Timeline.js"
import type { UsageRow } from "../Summary.js"
import { formatCost, formatTokens } from "../Format.js"

declare const acquireVsCodeApi: () => { postMessage: (message: unknown) => void }

type Incoming = { readonly type: "trace"; readonly data: TimelineData } | { readonly type: "select"; readonly key: string }

const vscode = acquireVsCodeApi()
const chart = document.getElementById("chart")!
const title = document.getElementById("title")!
const totals = document.getElementById("totals")!
const summary = document.getElementById("summary")!
let selected: string | undefined

const element = <K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  if (className !== "") node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

const render = (data: TimelineData): void => {
  title.textContent = data.title
  totals.textContent = data.totals
  chart.replaceChildren(
    ...data.bars.map((bar) => {
      const row = element("div", "row")
      row.setAttribute("role", "listitem")
      const label = element("div", "label", bar.name)
      label.style.paddingLeft = `${bar.depth * 12}px`
      label.title = bar.name
      const track = element("div", "track")
      const block = element("button", `bar kind-${bar.kind}${bar.error ? " error" : ""}`)
      block.dataset["key"] = bar.key
      const total = Math.max(data.totalMs, 0.001)
      block.style.left = `${(bar.offsetMs / total) * 100}%`
      block.style.width = `max(2px, ${(bar.durationMs / total) * 100}%)`
      block.title = `${bar.name}\n${bar.detail}`
      block.setAttribute("aria-label", `${bar.name}: ${bar.detail}`)
      block.addEventListener("click", () => {
        highlight(bar.key)
        vscode.postMessage({ type: "select", key: bar.key })
      })
      track.append(block)
      row.append(label, track, element("div", "detail", bar.detail))
      return row
    })
  )
  summary.replaceChildren(table("Cost and tokens by agent", "agent", data.summary.byAgent), table("Cost and tokens by model", "model", data.summary.byModel))
  if (selected !== undefined) highlight(selected)
}

const table = (caption: string, what: string, rows: ReadonlyArray<UsageRow>): HTMLTableElement => {
  const result = element("table", "usage")
  result.append(element("caption", "", caption))
  const head = element("tr", "")
  for (const heading of [what, "calls", "input", "output", "cost"]) head.append(element("th", "", heading))
  result.append(head)
  for (const row of rows) {
    const line = element("tr", "")
    for (const cell of [row.name, String(row.calls), formatTokens(row.inputTokens), formatTokens(row.outputTokens), row.costUsd === undefined ? "—" : formatCost(row.costUsd)]) {
      line.append(element("td", "", cell))
    }
    result.append(line)
  }
  if (rows.length === 0) result.append(element("tr", "", "no model calls"))
  return result
}

const highlight = (key: string): void => {
  selected = key
  for (const bar of chart.querySelectorAll<HTMLElement>(".bar")) bar.classList.toggle("selected", bar.dataset["key"] === key)
}

window.addEventListener("message", (event: MessageEvent<Incoming>) => {
  if (event.data.type === "trace") render(event.data.data)
  else highlight(event.data.key)
})
vscode.postMessage({ type: "ready" })
