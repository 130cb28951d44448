/**
 * How runs, trace nodes and span details look in the tree views: labels, descriptions, codicons.
 * Plain data; the VS Code adapter turns it into TreeItems.
 */
import { formatCost, formatDuration } from "./Format.js"
import type { Run, RunStatus } from "./RunStore.js"
import type { AttributeValue, SpanRecord } from "./Span.js"
import { nodeDetail } from "./Timeline.js"
import type { NodeKind, TraceNode } from "./TraceTree.js"
import type { Usage } from "./Usage.js"

export interface ItemView {
  readonly label: string
  readonly description: string
  readonly tooltip: string
  /** A codicon id. */
  readonly icon: string
  /** A theme colour id for the icon. */
  readonly color?: string
}

const STATUS_ICONS: Record<RunStatus, { readonly icon: string; readonly color?: string }> = {
  running: { icon: "sync~spin" },
  succeeded: { icon: "pass", color: "testing.iconPassed" },
  failed: { icon: "error", color: "testing.iconFailed" },
  stopped: { icon: "debug-stop" },
  interrupted: { icon: "warning", color: "list.warningForeground" },
  received: { icon: "radio-tower" },
  imported: { icon: "file" }
}

export const runView = (run: Run, usage: Usage, now: number): ItemView => {
  const duration = (run.endedMs ?? now) - run.startedMs
  const parts: Array<string> = [run.status, formatDuration(duration)]
  parts.push(usage.costUsd === undefined ? "cost unknown" : formatCost(usage.costUsd))
  const lines = [`**${run.label}** — ${run.status}`, `started ${new Date(run.startedMs).toLocaleString()}`]
  if (run.exitCode !== undefined) lines.push(`exit code ${run.exitCode}`)
  if (run.workflowPath !== undefined) lines.push(run.workflowPath)
  if (run.droppedSpans > 0) lines.push(`${run.droppedSpans} spans dropped (per-run limit)`)
  return { label: run.label, description: parts.join(" · "), tooltip: lines.join("\n\n"), ...STATUS_ICONS[run.status] }
}

const KIND_ICONS: Record<NodeKind, string> = {
  workflow: "symbol-event",
  pattern: "type-hierarchy",
  step: "debug-step-over",
  agent: "person",
  model: "sparkle",
  tool: "tools",
  span: "symbol-misc"
}

export const traceNodeView = (node: TraceNode): ItemView => {
  const error = node.span.status === "error"
  const description = [nodeDetail(node), ...(error ? ["error"] : []), ...(node.orphan ? ["parent not received"] : [])].join(" · ")
  const tooltip = [`**${node.span.name}** (${node.kind})`, description, ...(node.span.statusMessage === undefined ? [] : [node.span.statusMessage])].join("\n\n")
  return error
    ? { label: node.span.name, description, tooltip, icon: "error", color: "testing.iconFailed" }
    : { label: node.span.name, description, tooltip, icon: KIND_ICONS[node.kind] }
}

export interface DetailRow {
  readonly label: string
  readonly value: string
  /** Content captured from the model call (prompt or output): shown in full on demand. */
  readonly content: boolean
}

const CONTENT: Record<string, string> = { "gen_ai.input.messages": "prompt", "gen_ai.output.messages": "output" }

/** The selected span's facts: prompt and output first when captured, then status, timing and attributes. */
export const detailRows = (span: SpanRecord): ReadonlyArray<DetailRow> => {
  const content = Object.entries(CONTENT).flatMap(([key, label]) =>
    span.attributes[key] === undefined ? [] : [{ label, value: attributeText(span.attributes[key]!), content: true }]
  )
  const facts: Array<DetailRow> = [
    { label: "status", value: span.statusMessage === undefined ? span.status : `${span.status}: ${span.statusMessage}`, content: false },
    { label: "duration", value: formatDuration(span.endMs - span.startMs), content: false },
    { label: "span id", value: span.spanId, content: false },
    { label: "trace id", value: span.traceId, content: false }
  ]
  const attributes = Object.entries(span.attributes)
    .filter(([key]) => CONTENT[key] === undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ label: key, value: attributeText(value), content: false }))
  const events = span.events.map((event) => ({ label: `event ${event.name}`, value: attributeText(event.attributes), content: false }))
  const resource = Object.entries(span.resource).map(([key, value]) => ({ label: `resource ${key}`, value: attributeText(value), content: false }))
  return [...content, ...facts, ...attributes, ...events, ...resource]
}

const attributeText = (value: AttributeValue): string => (typeof value === "string" ? value : JSON.stringify(value))
