/**
 * What the timeline webview draws: one bar per span in tree order, offsets relative to the run's
 * first span, plus the usage summary. Plain data, posted to the webview as a message.
 */
import { formatCost, formatDuration, formatTokens } from "./Format.js"
import type { Run } from "./RunStore.js"
import { type UsageSummary, summarize } from "./Summary.js"
import { type NodeKind, type TraceNode, type TraceTree, treeUsage } from "./TraceTree.js"

export interface TimelineBar {
  readonly key: string
  readonly name: string
  readonly kind: NodeKind
  readonly depth: number
  readonly offsetMs: number
  readonly durationMs: number
  readonly error: boolean
  /** Duration, tokens and cost, ready to show. */
  readonly detail: string
}

export interface TimelineData {
  readonly title: string
  readonly totalMs: number
  readonly bars: ReadonlyArray<TimelineBar>
  readonly summary: UsageSummary
  readonly totals: string
}

export const timelineData = (run: Run, tree: TraceTree): TimelineData => {
  const nodes: Array<{ node: TraceNode; depth: number }> = []
  const walk = (node: TraceNode, depth: number): void => {
    nodes.push({ node, depth })
    for (const child of node.children) walk(child, depth + 1)
  }
  for (const root of tree.roots) walk(root, 0)
  const start = Math.min(...nodes.map(({ node }) => node.span.startMs))
  const end = Math.max(...nodes.map(({ node }) => node.span.endMs))
  const usage = treeUsage(tree)
  return {
    title: run.label,
    totalMs: nodes.length === 0 ? 0 : end - start,
    bars: nodes.map(({ node, depth }) => ({
      key: node.key,
      name: node.span.name,
      kind: node.kind,
      depth,
      offsetMs: node.span.startMs - start,
      durationMs: node.durationMs,
      error: node.span.status === "error",
      detail: nodeDetail(node)
    })),
    summary: summarize(tree),
    totals: [
      nodes.length === 0 ? "no spans yet" : formatDuration(end - start),
      `${usage.modelCalls} model calls`,
      formatTokens(usage.inputTokens + usage.outputTokens),
      usage.costUsd === undefined ? "cost unknown" : formatCost(usage.costUsd)
    ].join(" · ")
  }
}

/** "1.23 s · 610 tok · $0.0031": a node's duration and, when it has them, its tokens and cost. */
export const nodeDetail = (node: TraceNode): string => {
  const parts = [formatDuration(node.durationMs)]
  const tokens = node.usage.inputTokens + node.usage.outputTokens
  if (tokens > 0) parts.push(formatTokens(tokens))
  if (node.usage.costUsd !== undefined) parts.push(formatCost(node.usage.costUsd))
  return parts.join(" · ")
}
