/**
 * How runs, trace nodes and span details look in the tree views: labels, descriptions, codicons.
 * Rows carry the name and ONE figure, so they stay readable at the default sidebar width; the rest
 * goes in the hover and in Span Details. Plain data; the VS Code adapter turns it into TreeItems.
 */
import { parseChat } from "./Chat.js"
import { formatCost, formatDuration, formatTokens } from "./Format.js"
import type { DurableRun, DurableRunStatus } from "./DurableRuns.js"
import type { Run, RunStatus } from "./RunStore.js"
import { type AttributeValue, type SpanRecord, stringAttribute } from "./Span.js"
import { type SourceLink, spanError, spanSourceLinks } from "./SourceLinks.js"
import { type NodeKind, type TraceNode, nodeDurationMs } from "./TraceTree.js"
import type { Usage } from "./Usage.js"

export interface ItemView {
  readonly label: string
  readonly description: string
  /** Markdown. */
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

/** The one figure of a row: cost where there is a non-zero one, else the duration. */
const figure = (durationMs: number, usage: Usage): string => (usage.costUsd !== undefined && usage.costUsd > 0 ? formatCost(usage.costUsd) : formatDuration(durationMs))

const usageLines = (usage: Usage): Array<string> => {
  const lines: Array<string> = []
  if (usage.modelCalls > 0) lines.push(`${usage.modelCalls} model call${usage.modelCalls === 1 ? "" : "s"}`)
  if (usage.inputTokens + usage.outputTokens > 0) lines.push(`${formatTokens(usage.inputTokens)} in · ${formatTokens(usage.outputTokens)} out`)
  lines.push(usage.costUsd === undefined ? "cost unknown" : `cost ${formatCost(usage.costUsd)}`)
  return lines
}

/**
 * `durationMs` is the run's one duration (runDurationMs), the same in every view. `awaiting`: the
 * approvals a running run's durable run is suspended on (its payloads are in the Durable Runs view).
 */
export const runView = (run: Run, usage: Usage, durationMs: number, awaiting: ReadonlyArray<string> = []): ItemView => {
  if (run.status === "running" && awaiting.length > 0) {
    // No clock here: the row stays as it is while the run waits, so its buttons are not redrawn under the pointer.
    const lines = [`**${run.label}** — suspended, awaiting ${awaiting.join(", ")}`, `started ${new Date(run.startedMs).toLocaleString()} · approve or reject it here or in the Durable Runs view`]
    return { label: run.label, description: `awaiting ${awaiting.join(", ")}`, tooltip: lines.join("\n\n"), icon: "debug-pause", color: "list.warningForeground" }
  }
  const description = run.status === "running" ? formatDuration(durationMs) : figure(durationMs, usage)
  const lines = [`**${run.label}** — ${run.status}`, `${formatDuration(durationMs)} · ${usageLines(usage).join(" · ")}`, `started ${new Date(run.startedMs).toLocaleString()}`]
  if (run.exitCode !== undefined) lines.push(`exit code ${run.exitCode}`)
  if (run.workflowPath !== undefined) lines.push(run.workflowPath)
  if (run.droppedSpans > 0) lines.push(`${run.droppedSpans} spans dropped (per-run limit)`)
  return { label: run.label, description, tooltip: lines.join("\n\n"), ...STATUS_ICONS[run.status] }
}

const DURABLE_ICONS: Record<DurableRunStatus, { readonly icon: string; readonly color?: string }> = {
  running: { icon: "sync~spin" },
  suspended: { icon: "debug-pause", color: "list.warningForeground" },
  done: { icon: "pass", color: "testing.iconPassed" },
  failed: { icon: "error", color: "testing.iconFailed" },
  cancelled: { icon: "circle-slash" }
}

/** Hovers show a payload up to this many characters. */
const MAX_PAYLOAD_CHARS = 4_000

const jsonBlock = (value: unknown): string => {
  const text = JSON.stringify(value, null, 2) ?? "null"
  const shown = text.length > MAX_PAYLOAD_CHARS ? `${text.slice(0, MAX_PAYLOAD_CHARS)}\n…` : text
  // A fence longer than any backtick run inside, so a payload cannot end the block.
  const fence = "`".repeat(Math.max(3, ...[...shown.matchAll(/`+/g)].map((run) => run[0].length + 1)))
  return `${fence}json\n${shown}\n${fence}`
}

/** A durable run: its id, then its state (what a suspended run waits for); payloads and error in the hover. */
export const durableRunView = (run: DurableRun): ItemView => {
  const waits = run.awaiting.map((approval) => approval.name).join(", ")
  const description = run.status === "suspended" && waits !== "" ? `awaiting ${waits}` : run.status
  const lines = [`**${run.runId}** — workflow ${run.workflow}`, run.status === "suspended" && waits !== "" ? `suspended, awaiting ${waits}` : run.status]
  for (const approval of run.awaiting) lines.push(`**${approval.name}** asks to approve (${new Date(approval.requestedAt).toLocaleString()}):`, jsonBlock(approval.payload))
  if (run.error !== null) lines.push(`**Error:** ${run.error}`)
  lines.push(`started ${new Date(run.createdAt).toLocaleString()} · last change ${new Date(run.updatedAt).toLocaleString()}`)
  return { label: run.runId, description, tooltip: lines.join("\n\n"), ...DURABLE_ICONS[run.status] }
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

const FAILED = "testing.iconFailed"

/**
 * A row's short name: the icon already says what kind of span it is, so the row names only the
 * thing itself (the agent, the model, the tool, the pattern, the step), which keeps deep trees
 * readable at the default width. The full span name is the hover's first line.
 * A step's agent is the row below it, so `team.costs.reviewed-section` shows as `team.costs`.
 */
export const nodeLabel = (node: TraceNode): string => shortened(fullLabel(node))

/** Longest row name; a longer one keeps its start and end around an ellipsis. */
const MAX_LABEL_CHARS = 32

/**
 * A name short enough for a row: long hex ids cut to their first digits, a path-like name of
 * another library (`Workflow/aixfx/run.client.run`) to its last part, and at most MAX_LABEL_CHARS.
 */
const shortened = (label: string): string => {
  const name = label.replace(/[0-9a-f]{12,}/gi, (id) => `${id.slice(0, 6)}…`)
  const last = name.includes(" ") ? name : name.slice(name.lastIndexOf("/") + 1) || name
  if (last.length <= MAX_LABEL_CHARS) return last
  const half = Math.floor((MAX_LABEL_CHARS - 1) / 2)
  return `${last.slice(0, half)}…${last.slice(-half)}`
}

const fullLabel = (node: TraceNode): string => {
  const attributes = node.span.attributes
  const afterSpace = (name: string) => name.slice(name.indexOf(" ") + 1)
  switch (node.kind) {
    case "workflow":
      return stringAttribute(attributes, "aixfx.workflow.name") ?? node.span.name
    case "pattern":
      return stringAttribute(attributes, "aixfx.pattern.name") ?? afterSpace(node.span.name)
    case "step": {
      const step = stringAttribute(attributes, "aixfx.step.name")
      const agent = stringAttribute(attributes, "aixfx.step.agent")
      if (step === undefined) return node.span.name
      return agent !== undefined && step.endsWith(`.${agent}`) ? step.slice(0, -agent.length - 1) : step
    }
    case "agent":
      return stringAttribute(attributes, "gen_ai.agent.name") ?? afterSpace(node.span.name)
    case "model":
      return stringAttribute(attributes, "gen_ai.response.model") ?? stringAttribute(attributes, "gen_ai.request.model") ?? node.span.name
    case "tool":
      return stringAttribute(attributes, "gen_ai.tool.name") ?? afterSpace(node.span.name)
    default:
      return node.span.name
  }
}

export const traceNodeView = (node: TraceNode, now: number): ItemView => {
  const duration = nodeDurationMs(node, now)
  const error = spanError(node.span) ?? node.folded.map(spanError).find((message) => message !== undefined)
  // A running row's spinner says it runs; its figure is the ticking clock.
  const description = node.open ? formatDuration(duration) : node.failedHere ? "failed here" : figure(duration, node.usage)
  const lines = [`**${node.span.name}** (${node.kind})`, `${node.open ? "running " : ""}${formatDuration(duration)} · ${usageLines(node.usage).join(" · ")}`]
  const model = stringAttribute(node.span.attributes, "gen_ai.response.model") ?? stringAttribute(node.span.attributes, "gen_ai.request.model")
  if (model !== undefined) lines.push(`model ${model}`)
  if (error !== undefined) lines.push(node.failedHere ? `**Failed here:** ${error}` : `Propagated an error from below: ${error}`)
  if (node.folded.length > 0) lines.push(`Folded runtime wrappers: ${node.folded.map((span) => span.name).join(" → ")}`)
  if (node.orphan) lines.push("Its parent span has not been received (yet).")
  const tooltip = lines.join("\n\n")
  const label = nodeLabel(node)
  if (node.open) return { label, description, tooltip, icon: "loading~spin" }
  if (node.failedHere) return { label, description, tooltip, icon: "error", color: FAILED }
  // An ancestor that only propagated the failure keeps its kind's icon, tinted.
  if (node.errors > 0) return { label, description, tooltip, icon: KIND_ICONS[node.kind], color: FAILED }
  return { label, description, tooltip, icon: KIND_ICONS[node.kind] }
}

export type DetailRow =
  | { readonly type: "fact"; readonly label: string; readonly value: string }
  /** The error: `lines` is its message word-wrapped, shown as rows under it so it reads at the sidebar's default width. */
  | { readonly type: "error"; readonly label: string; readonly value: string; readonly lines: ReadonlyArray<string> }
  /** Content captured from the model call (prompt or output): opens as a chat transcript. */
  | { readonly type: "content"; readonly label: string; readonly value: string; readonly messages: number | undefined }
  | { readonly type: "source"; readonly label: string; readonly value: string; readonly link: SourceLink }

const CONTENT: Record<string, string> = { "gen_ai.input.messages": "prompt", "gen_ai.output.messages": "output" }

/** Characters per error line: what fits a row of the sidebar at its default width (about 300 px). */
const ERROR_LINE_CHARS = 30

/** `text` in lines of at most `width` characters, broken at spaces (a longer word is cut). */
export const wrapWords = (text: string, width: number): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(/\s+/).filter((part) => part !== "")) {
    if (line !== "" && line.length + 1 + word.length <= width) {
      line += ` ${word}`
      continue
    }
    if (line !== "") lines.push(line)
    line = word
    while (line.length > width) {
      lines.push(line.slice(0, width))
      line = line.slice(width)
    }
  }
  if (line !== "") lines.push(line)
  return lines
}

const fileName = (path: string): string => path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1)

/** The selected span's facts: its error and source links first, prompt and output, then status, timing and attributes. */
export const detailRows = (span: SpanRecord, now = Date.now()): ReadonlyArray<DetailRow> => {
  const error = spanError(span)
  const errors: Array<DetailRow> = error === undefined ? [] : [{ type: "error", label: "error", value: error, lines: wrapWords(error, ERROR_LINE_CHARS) }]
  const sources: Array<DetailRow> = spanSourceLinks(span).map((link) => ({ type: "source", label: link.where === undefined ? "at" : `at ${link.where}`, value: `${fileName(link.path)}:${link.line}`, link }))
  const content: Array<DetailRow> = Object.entries(CONTENT).flatMap(([key, label]): Array<DetailRow> => {
    const value = span.attributes[key]
    if (value === undefined) return []
    const text = attributeText(value)
    return [{ type: "content", label, value: text, messages: parseChat(text)?.length }]
  })
  const fact = (label: string, value: string): DetailRow => ({ type: "fact", label, value })
  const facts = [
    fact("status", span.open === true ? "running" : span.status),
    fact("duration", `${span.open === true ? "running " : ""}${formatDuration(Math.max(0, (span.open === true ? now : span.endMs) - span.startMs))}`),
    fact("span id", span.spanId),
    fact("trace id", span.traceId)
  ]
  const attributes = Object.entries(span.attributes)
    .filter(([key]) => CONTENT[key] === undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => fact(key, attributeText(value)))
  const events = span.events.map((event) => fact(`event ${event.name}`, attributeText(event.attributes)))
  const resource = Object.entries(span.resource).map(([key, value]) => fact(`resource ${key}`, attributeText(value)))
  return [...errors, ...sources, ...content, ...facts, ...attributes, ...events, ...resource]
}

const attributeText = (value: AttributeValue): string => (typeof value === "string" ? value : JSON.stringify(value))
