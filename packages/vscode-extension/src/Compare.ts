/**
 * Two runs side by side: their nodes matched by path (the names from the root, with a count for
 * repeated names), each with duration, tokens, cost and output, and what differs flagged.
 */
import { parseChat } from "./Chat.js"
import { formatCost, formatDuration, formatTokens } from "./Format.js"
import { nodeLabel } from "./Presentation.js"
import { stringAttribute } from "./Span.js"
import type { TraceNode, TraceTree } from "./TraceTree.js"

export interface StepFacts {
  readonly durationMs: number
  readonly tokens: number
  readonly costUsd: number | undefined
  readonly output: string | undefined
  readonly failed: boolean
}

export interface CompareRow {
  readonly path: string
  /** The span's name, and its short name as the Trace view shows it. */
  readonly name: string
  readonly label: string
  readonly depth: number
  readonly a: StepFacts | undefined
  readonly b: StepFacts | undefined
  /** What differs: "only in A", "output", "tokens", "cost", "duration", "status". */
  readonly changes: ReadonlyArray<string>
}

const outputOf = (node: TraceNode): string | undefined => {
  const raw = stringAttribute(node.span.attributes, "gen_ai.output.messages")
  if (raw === undefined) return undefined
  return parseChat(raw)?.map((message) => message.text).join("\n") ?? raw
}

const facts = (node: TraceNode): StepFacts => ({
  durationMs: node.durationMs,
  tokens: node.usage.inputTokens + node.usage.outputTokens,
  costUsd: node.usage.costUsd,
  output: outputOf(node),
  failed: node.errors > 0
})

const flatten = (tree: TraceTree): Map<string, { readonly node: TraceNode; readonly depth: number; readonly order: number }> => {
  const result = new Map<string, { node: TraceNode; depth: number; order: number }>()
  const walk = (nodes: ReadonlyArray<TraceNode>, prefix: string, depth: number): void => {
    const seen = new Map<string, number>()
    for (const node of nodes) {
      const count = (seen.get(node.span.name) ?? 0) + 1
      seen.set(node.span.name, count)
      const path = `${prefix}/${node.span.name}${count > 1 ? ` #${count}` : ""}`
      result.set(path, { node, depth, order: result.size })
      walk(node.children, path, depth + 1)
    }
  }
  walk(tree.roots, "", 0)
  return result
}

/** A run's duration differs when it is more than 1.5 × (and 5 ms) apart: timing noise is not a change. */
const durationChanged = (a: number, b: number): boolean => Math.abs(a - b) > 5 && Math.max(a, b) > 1.5 * Math.min(a, b)

export const compareRuns = (a: TraceTree, b: TraceTree): ReadonlyArray<CompareRow> => {
  const left = flatten(a)
  const right = flatten(b)
  const paths = [...new Set([...left.keys(), ...right.keys()])]
  const order = (path: string) => left.get(path)?.order ?? (right.get(path)?.order ?? 0) + 0.5
  return paths
    .sort((x, y) => order(x) - order(y))
    .map((path) => {
      const l = left.get(path)
      const r = right.get(path)
      const fa = l === undefined ? undefined : facts(l.node)
      const fb = r === undefined ? undefined : facts(r.node)
      const changes: Array<string> = []
      if (fa === undefined) changes.push("only in B")
      else if (fb === undefined) changes.push("only in A")
      else {
        if (fa.output !== fb.output) changes.push("output")
        if (fa.tokens !== fb.tokens) changes.push("tokens")
        if (fa.costUsd !== fb.costUsd) changes.push("cost")
        if (fa.failed !== fb.failed) changes.push("status")
        if (durationChanged(fa.durationMs, fb.durationMs)) changes.push("duration")
      }
      const { node, depth } = (l ?? r)!
      return { path, name: node.span.name, label: nodeLabel(node), depth, a: fa, b: fb, changes }
    })
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** One run's facts for a step: time, tokens, cost and output, changed ones highlighted. */
const cells = (step: StepFacts | undefined, changes: ReadonlyArray<string>): string => {
  if (step === undefined) return `<td class="missing" colspan="4">— not in this run</td>`
  const mark = (what: string, text: string, kind = "figure") => `<td class="${kind}${changes.includes(what) ? " changed" : ""}">${escape(text)}</td>`
  return [
    mark("duration", formatDuration(step.durationMs)),
    mark("tokens", step.tokens > 0 ? formatTokens(step.tokens) : ""),
    mark("cost", step.costUsd === undefined ? "" : formatCost(step.costUsd)),
    mark("output", step.output === undefined ? (step.failed ? "failed" : "") : step.output.length > 300 ? `${step.output.slice(0, 300)}…` : step.output, "output")
  ].join("")
}

/**
 * A static page (no script): per step, a line naming it (and what differs), then run A's facts
 * above run B's, changed cells highlighted. Five columns, the output taking the rest of the width,
 * so it reads even in a narrow editor group.
 */
export const compareHtml = (titleA: string, titleB: string, rows: ReadonlyArray<CompareRow>, cspSource: string): string => `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline';">
<style>
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 12px; }
h1 { font-size: 1.3em; }
table { border-collapse: collapse; width: 100%; }
th { position: sticky; top: 0; background: var(--vscode-editor-background); text-align: left; }
th, td { padding: 2px 6px; vertical-align: top; }
tr.step td { border-top: 1px solid var(--vscode-widget-border, rgba(128, 128, 128, 0.35)); padding-top: 6px; overflow-wrap: anywhere; }
td.figure { white-space: nowrap; }
td.output { overflow-wrap: anywhere; width: 100%; }
td.run { color: var(--vscode-descriptionForeground); padding-left: 12px; }
td.changed { background: var(--vscode-diffEditor-insertedTextBackground, rgba(255, 200, 0, 0.25)); font-weight: bold; }
td.missing { color: var(--vscode-descriptionForeground); }
tr.step.differs .name { font-weight: bold; }
.changes { color: var(--vscode-charts-orange); }
</style><title>Compare runs</title></head><body>
<h1>A: ${escape(titleA)}<br>B: ${escape(titleB)}</h1>
<p>${rows.filter((row) => row.changes.length > 0).length} of ${rows.length} steps differ.</p>
<table id="compare">
<tr><th></th><th>time</th><th>tokens</th><th>cost</th><th>output</th></tr>
${rows
  .map((row) => {
    const differs = row.changes.length > 0 ? "differs" : "same"
    const changes = row.changes.length > 0 ? ` <span class="changes">${escape(row.changes.join(", "))}</span>` : ""
    const step = `<tr class="step ${differs}" data-path="${escape(row.path)}"><td colspan="5" title="${escape(row.name)}" style="padding-left:${6 + row.depth * 12}px"><span class="name">${escape(row.label)}</span>${changes}</td></tr>`
    return `${step}\n<tr class="a ${differs}"><td class="run">A</td>${cells(row.a, row.changes)}</tr>\n<tr class="b ${differs}"><td class="run">B</td>${cells(row.b, row.changes)}</tr>`
  })
  .join("\n")}
</table></body></html>`
