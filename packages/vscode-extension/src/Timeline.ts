/**
 * What the timeline webview draws: one bar per node in tree order (wrapper chains folded as in the
 * Trace view), offsets relative to the run's first span, plus the usage summary and what the
 * filters offer. Plain data, posted to the webview as a message.
 */
import { formatCost, formatDuration, formatTokens } from "./Format.js"
import { nodeLabel } from "./Presentation.js"
import type { Run } from "./RunStore.js"
import { stringAttribute } from "./Span.js"
import { type UsageSummary, summarize } from "./Summary.js"
import { type NodeKind, type TraceNode, type TraceTree, nodeDurationMs, runDurationMs, treeUsage } from "./TraceTree.js"

export interface TimelineBar {
  readonly key: string
  readonly parentKey: string | undefined
  /** The span's full name (hover, search) and the row's short name (as in the Trace view). */
  readonly name: string
  readonly label: string
  readonly kind: NodeKind
  readonly depth: number
  readonly offsetMs: number
  readonly durationMs: number
  readonly hasChildren: boolean
  readonly open: boolean
  /** Failed here (not merely propagated). */
  readonly failedHere: boolean
  /** Propagated a failure from below. */
  readonly error: boolean
  /** The nearest agent (or pattern) the span belongs to, and its model, for the filters. */
  readonly agent: string | undefined
  readonly model: string | undefined
  /** Duration, tokens and cost, ready to show. */
  readonly detail: string
}

export interface TimelineData {
  readonly title: string
  readonly totalMs: number
  readonly bars: ReadonlyArray<TimelineBar>
  readonly summary: UsageSummary
  readonly totals: string
  readonly agents: ReadonlyArray<string>
  readonly models: ReadonlyArray<string>
}

export const timelineData = (run: Run, tree: TraceTree, now: number): TimelineData => {
  const bars: Array<TimelineBar> = []
  const start = tree.roots.length === 0 ? now : Math.min(...tree.roots.map((root) => root.startMs))
  const walk = (node: TraceNode, depth: number, agent: string | undefined): void => {
    const named = stringAttribute(node.span.attributes, "gen_ai.agent.name")
    const current = node.kind === "agent" || node.kind === "pattern" ? (named ?? agent) : agent
    bars.push({
      key: node.key,
      parentKey: node.parentKey,
      name: node.span.name,
      label: nodeLabel(node),
      kind: node.kind,
      depth,
      offsetMs: node.startMs - start,
      durationMs: nodeDurationMs(node, now),
      hasChildren: node.children.length > 0,
      open: node.open,
      failedHere: node.failedHere,
      error: node.errors > 0 && !node.failedHere,
      agent: current,
      model: stringAttribute(node.span.attributes, "gen_ai.response.model") ?? stringAttribute(node.span.attributes, "gen_ai.request.model"),
      detail: nodeDetail(node, now)
    })
    for (const child of node.children) walk(child, depth + 1, current)
  }
  for (const root of tree.roots) walk(root, 0, undefined)
  const usage = treeUsage(tree)
  const totalMs = runDurationMs(run, tree, now)
  const distinct = (values: ReadonlyArray<string | undefined>) => [...new Set(values.filter((value): value is string => value !== undefined))].sort()
  return {
    title: run.label,
    totalMs: Math.max(totalMs, ...bars.map((bar) => bar.offsetMs + bar.durationMs)),
    bars,
    summary: summarize(tree),
    totals: [
      bars.length === 0 ? "no spans yet" : `${run.status === "running" ? "running " : ""}${formatDuration(totalMs)}`,
      `${usage.modelCalls} model calls`,
      formatTokens(usage.inputTokens + usage.outputTokens),
      usage.costUsd === undefined ? "cost unknown" : formatCost(usage.costUsd)
    ].join(" · "),
    agents: distinct(bars.map((bar) => bar.agent)),
    models: distinct(bars.filter((bar) => bar.kind === "model").map((bar) => bar.model))
  }
}

/** "1.23 s · 610 tok · $0.0031": a node's duration and, when it has them, its tokens and cost. */
export const nodeDetail = (node: TraceNode, now: number): string => {
  const parts = [`${node.open ? "running " : ""}${formatDuration(nodeDurationMs(node, now))}`]
  const tokens = node.usage.inputTokens + node.usage.outputTokens
  if (tokens > 0) parts.push(formatTokens(tokens))
  if (node.usage.costUsd !== undefined) parts.push(formatCost(node.usage.costUsd))
  return parts.join(" · ")
}
