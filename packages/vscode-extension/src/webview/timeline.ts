/**
 * Runs inside the timeline webview (bundled separately, DOM only). Draws the bars, a time axis, a
 * legend and the usage tables from the extension's `trace` message; the header (tools, legend,
 * axis) stays on top while the spans scroll. Zoom with the buttons or Ctrl+wheel, pan with
 * Shift+wheel or by dragging; collapse a subtree with its ▾; filter by errors, agent, model or
 * search text. A click on a bar asks the extension to select that node in the Trace view.
 */
import type { TimelineBar, TimelineData } from "../Timeline.js"
import type { UsageRow } from "../Summary.js"
import { formatCost, formatDuration, formatTokens } from "../Format.js"

declare const acquireVsCodeApi: () => { postMessage: (message: unknown) => void }

type Incoming = { readonly type: "trace"; readonly data: TimelineData } | { readonly type: "select"; readonly key: string }

const vscode = acquireVsCodeApi()
const byId = <E extends HTMLElement>(id: string) => document.getElementById(id) as E
const chart = byId("chart")
const title = byId("title")
const totals = byId("totals")
const summary = byId("summary")
const axis = byId("axis")
const legend = byId("legend")
const search = byId<HTMLInputElement>("search")
const errorsOnly = byId<HTMLInputElement>("errors-only")
const agentFilter = byId<HTMLSelectElement>("agent")
const modelFilter = byId<HTMLSelectElement>("model")
const zoomLevel = byId("zoom-level")

let data: TimelineData | undefined
let selected: string | undefined
let zoom = 1
let pan = 0
const collapsed = new Set<string>()

const element = <K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  if (className !== "") node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

const KINDS = ["workflow", "pattern", "step", "agent", "model", "tool"] as const

const drawLegend = (): void => {
  const entries: Array<HTMLElement> = KINDS.map((kind) => {
    const item = element("span", "")
    item.append(element("span", `swatch kind-${kind}`), kind)
    return item
  })
  const failed = element("span", "")
  failed.append(element("span", "swatch bar failed-here"), "failed here")
  const propagated = element("span", "")
  propagated.append(element("span", "swatch bar propagated"), "propagated")
  const running = element("span", "")
  running.append(element("span", "swatch kind-agent bar open"), "running")
  legend.replaceChildren(...entries, failed, propagated, running)
}

/** Ticks at a round step (1, 2, 5 × 10^n ms) at least 70 px apart at the current zoom. */
const drawAxis = (totalMs: number): void => {
  const width = (axis.parentElement?.clientWidth ?? 600) * zoom
  const rough = (totalMs / Math.max(1, width)) * 70
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(rough, 0.001)))
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= rough) ?? rough
  const ticks: Array<HTMLElement> = []
  for (let at = 0; at <= totalMs && ticks.length < 500; at += step) {
    const tick = element("span", "tick", at === 0 ? "0" : formatDuration(at))
    tick.style.left = `${(at / totalMs) * 100}%`
    ticks.push(tick)
  }
  axis.replaceChildren(...ticks)
}

const fill = (select: HTMLSelectElement, all: string, values: ReadonlyArray<string>): void => {
  const current = select.value
  select.replaceChildren(element("option", "", all), ...values.map((value) => element("option", "", value)))
  ;(select.firstChild as HTMLOptionElement).value = ""
  select.value = values.includes(current) ? current : ""
}

const render = (): void => {
  if (data === undefined) return
  title.textContent = data.title
  totals.textContent = data.totals
  fill(agentFilter, "all agents", data.agents)
  fill(modelFilter, "all models", data.models)
  const total = Math.max(data.totalMs, 0.001)
  chart.replaceChildren(...data.bars.map((bar) => row(bar, total)))
  applyFilters()
  drawAxis(total)
  applyZoom()
  summary.replaceChildren(table("Cost and tokens by agent", "agent", data.summary.byAgent), table("Cost and tokens by model", "model", data.summary.byModel))
  if (selected !== undefined) highlight(selected)
}

const row = (bar: TimelineBar, total: number): HTMLElement => {
  const line = element("div", "row")
  line.setAttribute("role", "listitem")
  line.dataset["key"] = bar.key
  const label = element("div", "label")
  label.style.paddingLeft = `${bar.depth * 12}px`
  label.title = bar.name
  const toggle = element("button", "toggle", bar.hasChildren ? (collapsed.has(bar.key) ? "▸" : "▾") : "")
  toggle.setAttribute("aria-label", collapsed.has(bar.key) ? `expand ${bar.name}` : `collapse ${bar.name}`)
  if (bar.hasChildren) {
    toggle.addEventListener("click", () => {
      if (collapsed.has(bar.key)) collapsed.delete(bar.key)
      else collapsed.add(bar.key)
      render()
    })
  }
  label.append(toggle)
  if (bar.failedHere) label.append(element("span", "failed-mark", "✖ "))
  label.append(element("span", "name", bar.label))
  const viewport = element("div", "viewport")
  const inner = element("div", "track-inner track")
  const block = element("button", `bar kind-${bar.kind}${bar.failedHere ? " failed-here" : ""}${bar.error ? " propagated" : ""}${bar.open ? " open" : ""}`)
  block.dataset["key"] = bar.key
  block.style.left = `${(bar.offsetMs / total) * 100}%`
  block.style.width = `${(bar.durationMs / total) * 100}%`
  const state = bar.failedHere ? " (failed here)" : bar.error ? " (propagated an error)" : bar.open ? " (running)" : ""
  block.title = `${bar.name}${state}\n${bar.detail}`
  block.setAttribute("aria-label", `${bar.name}: ${bar.detail}${state}`)
  block.addEventListener("click", () => {
    highlight(bar.key)
    vscode.postMessage({ type: "select", key: bar.key })
  })
  inner.append(block)
  viewport.append(inner)
  line.append(label, viewport, element("div", "detail", bar.detail))
  return line
}

/** Which rows show: not under a collapsed node, and passing the filters (a search match shows its ancestors too). */
const applyFilters = (): void => {
  if (data === undefined) return
  const byKey = new Map(data.bars.map((bar) => [bar.key, bar]))
  const ancestors = (bar: TimelineBar): Array<TimelineBar> => {
    const result: Array<TimelineBar> = []
    for (let parent = bar.parentKey === undefined ? undefined : byKey.get(bar.parentKey); parent !== undefined; parent = parent.parentKey === undefined ? undefined : byKey.get(parent.parentKey)) result.push(parent)
    return result
  }
  const query = search.value.trim().toLowerCase()
  const passes = (bar: TimelineBar): boolean =>
    (!errorsOnly.checked || bar.failedHere || bar.error) &&
    (agentFilter.value === "" || bar.agent === agentFilter.value) &&
    (modelFilter.value === "" || (bar.kind === "model" && bar.model === modelFilter.value))
  const matches = new Set(data.bars.filter((bar) => query !== "" && `${bar.name} ${bar.label} ${bar.detail}`.toLowerCase().includes(query)).map((bar) => bar.key))
  const shownBySearch = new Set<string>()
  for (const key of matches) for (const bar of [byKey.get(key)!, ...ancestors(byKey.get(key)!)]) shownBySearch.add(bar.key)
  for (const line of chart.querySelectorAll<HTMLElement>(".row")) {
    const bar = byKey.get(line.dataset["key"] ?? "")
    if (bar === undefined) continue
    const hiddenByCollapse = ancestors(bar).some((parent) => collapsed.has(parent.key))
    const visible = !hiddenByCollapse && passes(bar) && (query === "" || shownBySearch.has(bar.key))
    line.classList.toggle("hidden", !visible)
    line.classList.toggle("match", matches.has(bar.key))
  }
}

const applyZoom = (): void => {
  zoomLevel.textContent = `${Math.round(zoom * 100)}%`
  for (const inner of document.querySelectorAll<HTMLElement>(".track-inner")) inner.style.width = `${zoom * 100}%`
  for (const viewport of document.querySelectorAll<HTMLElement>(".viewport")) viewport.scrollLeft = pan
}

const setZoom = (next: number, anchor = 0.5): void => {
  const viewport = document.querySelector<HTMLElement>(".viewport")
  const width = viewport?.clientWidth ?? 1
  const before = (pan + anchor * width) / (width * zoom)
  zoom = Math.min(256, Math.max(1, next))
  pan = Math.max(0, before * width * zoom - anchor * width)
  if (data !== undefined) drawAxis(Math.max(data.totalMs, 0.001))
  applyZoom()
}

const setPan = (next: number): void => {
  const width = document.querySelector<HTMLElement>(".viewport")?.clientWidth ?? 0
  pan = Math.min(Math.max(0, next), Math.max(0, width * zoom - width))
  applyZoom()
}

const table = (caption: string, what: string, rows: ReadonlyArray<UsageRow>): HTMLTableElement => {
  const result = element("table", "usage")
  result.append(element("caption", "", caption))
  const head = element("tr", "")
  for (const heading of [what, "calls", "input", "output", "cost"]) head.append(element("th", "", heading))
  result.append(head)
  for (const usage of rows) {
    const line = element("tr", "")
    for (const cell of [usage.name, String(usage.calls), formatTokens(usage.inputTokens), formatTokens(usage.outputTokens), usage.costUsd === undefined ? "—" : formatCost(usage.costUsd)]) {
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

for (const control of [search, errorsOnly, agentFilter, modelFilter]) control.addEventListener("input", applyFilters)
byId("zoom-in").addEventListener("click", () => setZoom(zoom * 2))
byId("zoom-out").addEventListener("click", () => setZoom(zoom / 2))
byId("zoom-reset").addEventListener("click", () => {
  pan = 0
  setZoom(1)
})
document.addEventListener(
  "wheel",
  (event) => {
    const viewport = (event.target as HTMLElement).closest?.(".viewport") as HTMLElement | null
    if (viewport === null) return
    if (event.ctrlKey) {
      event.preventDefault()
      const box = viewport.getBoundingClientRect()
      setZoom(zoom * (event.deltaY < 0 ? 1.25 : 0.8), (event.clientX - box.left) / Math.max(1, box.width))
    } else if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      event.preventDefault()
      setPan(pan + (event.shiftKey ? event.deltaY : event.deltaX))
    }
  },
  { passive: false }
)
let drag: { readonly x: number; readonly pan: number } | undefined
document.addEventListener("mousedown", (event) => {
  if ((event.target as HTMLElement).classList?.contains("track-inner")) drag = { x: event.clientX, pan }
})
document.addEventListener("mousemove", (event) => {
  if (drag !== undefined) setPan(drag.pan - (event.clientX - drag.x))
})
document.addEventListener("mouseup", () => {
  drag = undefined
})
window.addEventListener("resize", () => data !== undefined && drawAxis(Math.max(data.totalMs, 0.001)))

window.addEventListener("message", (event: MessageEvent<Incoming>) => {
  if (event.data.type === "trace") {
    data = event.data.data
    render()
  } else highlight(event.data.key)
})
drawLegend()
vscode.postMessage({ type: "ready" })
