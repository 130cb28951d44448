/**
 * A run's spans as a tree (workflow → pattern → step → agent → model/tool), with usage rolled up.
 * Built from scratch on every change: spans may arrive out of order, so a span whose parent has
 * not arrived yet is shown at the top level until it does.
 *
 * The runtime wraps each agent call in spans of its own (`agent.call X` → `invoke_agent X` →
 * `invoke_agent X` …); with `foldWrappers` such a chain is one node: the pattern it ends in, or
 * else its outermost span, with the chain's children and the chain's full extent.
 */
import { type SpanRecord, spanKey, stringAttribute } from "./Span.js"
import { type Usage, emptyUsage, ownUsage, rollUp } from "./Usage.js"

export type NodeKind = "workflow" | "pattern" | "step" | "agent" | "model" | "tool" | "span"

export interface TraceNode {
  readonly key: string
  /** The span the node shows (the pattern or the outermost span of a folded chain). */
  readonly span: SpanRecord
  readonly kind: NodeKind
  readonly parentKey: string | undefined
  readonly children: ReadonlyArray<TraceNode>
  /** Wrapper spans folded into this node, outermost first (empty unless folded). */
  readonly folded: ReadonlyArray<SpanRecord>
  /** The node's extent: the outermost span of its chain. */
  readonly startMs: number
  readonly endMs: number
  /** Still running (its outermost span has not ended). */
  readonly open: boolean
  /** This span and everything under it. */
  readonly usage: Usage
  readonly durationMs: number
  /** Its parent is named but has not arrived (yet). */
  readonly orphan: boolean
  /** Errors in this subtree, this span included. */
  readonly errors: number
  /** It failed and none of its children did: the failure happened here, not below. */
  readonly failedHere: boolean
}

export const classify = (span: SpanRecord): NodeKind => {
  const operation = stringAttribute(span.attributes, "gen_ai.operation.name")
  if (operation === "invoke_workflow" || span.name.startsWith("workflow ")) return "workflow"
  if (span.attributes["aixfx.pattern.kind"] !== undefined || span.name.startsWith("pattern.")) return "pattern"
  if (span.attributes["aixfx.step.name"] !== undefined || span.name.startsWith("step ")) return "step"
  if (operation === "execute_tool" || span.name.startsWith("execute_tool ")) return "tool"
  if (operation === "chat" || operation === "text_completion" || operation === "generate_content" || operation === "embeddings" || span.name.startsWith("chat ")) return "model"
  if (operation === "invoke_agent" || operation === "create_agent" || span.name.startsWith("agent.call ") || span.name.startsWith("invoke_agent ")) return "agent"
  return "span"
}

export interface TraceTree {
  readonly roots: ReadonlyArray<TraceNode>
  /** Every node by its key; a folded wrapper's key finds the node it was folded into. */
  readonly byKey: ReadonlyMap<string, TraceNode>
}

export interface BuildOptions {
  /** Fold runtime wrapper chains (agent.call / invoke_agent) into one node. Default true. */
  readonly foldWrappers?: boolean
}

const agentName = (span: SpanRecord): string | undefined => stringAttribute(span.attributes, "gen_ai.agent.name") ?? /^(?:agent\.call|invoke_agent) (.+)$/.exec(span.name)?.[1]

const isWrapper = (span: SpanRecord): boolean => classify(span) === "agent"

export const buildTree = (spans: Iterable<SpanRecord>, options: BuildOptions = {}): TraceTree => {
  const fold = options.foldWrappers ?? true
  const all = new Map<string, SpanRecord>()
  for (const span of spans) all.set(spanKey(span), span)
  const childrenOf = new Map<string, Array<SpanRecord>>()
  const roots: Array<SpanRecord> = []
  for (const span of all.values()) {
    const parentKey = span.parentSpanId === undefined ? undefined : `${span.traceId}/${span.parentSpanId}`
    if (parentKey !== undefined && all.has(parentKey)) {
      const siblings = childrenOf.get(parentKey) ?? []
      siblings.push(span)
      childrenOf.set(parentKey, siblings)
    } else roots.push(span)
  }
  const byKey = new Map<string, TraceNode>()
  const build = (span: SpanRecord, parentKey: string | undefined): TraceNode => {
    const chain = [span]
    for (let last = span; fold && isWrapper(last); ) {
      const kids = childrenOf.get(spanKey(last)) ?? []
      const only = kids.length === 1 ? kids[0]! : undefined
      if (only === undefined || agentName(only) !== agentName(last) || !(isWrapper(only) || classify(only) === "pattern")) break
      chain.push(only)
      last = only
    }
    const inner = chain[chain.length - 1]!
    const shown = classify(inner) === "pattern" ? inner : span
    const key = spanKey(shown)
    const children = sortByStart(childrenOf.get(spanKey(inner)) ?? []).map((child) => build(child, key))
    const failed = chain.some((link) => link.status === "error")
    const node: TraceNode = {
      key,
      span: shown,
      kind: classify(shown),
      parentKey,
      children,
      folded: chain.length === 1 ? [] : chain.filter((link) => link !== shown),
      startMs: span.startMs,
      endMs: span.endMs,
      open: span.open === true,
      usage: rollUp(
        ownUsage(inner),
        children.map((child) => child.usage)
      ),
      durationMs: Math.max(0, span.endMs - span.startMs),
      orphan: parentKey === undefined && span.parentSpanId !== undefined,
      errors: (failed ? 1 : 0) + children.reduce((n, child) => n + child.errors, 0),
      failedHere: failed && children.every((child) => child.errors === 0)
    }
    for (const link of chain) byKey.set(spanKey(link), node)
    return node
  }
  return { roots: sortByStart(roots).map((root) => build(root, undefined)), byKey }
}

const sortByStart = (spans: ReadonlyArray<SpanRecord>): ReadonlyArray<SpanRecord> =>
  [...spans].sort((a, b) => a.startMs - b.startMs || a.spanId.localeCompare(b.spanId))

/** The run's total usage: the sum over its top-level nodes. */
export const treeUsage = (tree: TraceTree): Usage => rollUp(emptyUsage, tree.roots.map((root) => root.usage))

/** Every node once, parents before children. */
export const allNodes = (tree: TraceTree): ReadonlyArray<TraceNode> => {
  const nodes: Array<TraceNode> = []
  const walk = (node: TraceNode): void => {
    nodes.push(node)
    for (const child of node.children) walk(child)
  }
  for (const root of tree.roots) walk(root)
  return nodes
}

/** A node's duration; an open node's runs until `now`. */
export const nodeDurationMs = (node: TraceNode, now: number): number => (node.open ? Math.max(0, now - node.startMs) : node.durationMs)

/** The nodes that are still running, deepest last. */
export const runningNodes = (tree: TraceTree): ReadonlyArray<TraceNode> => allNodes(tree).filter((node) => node.open)

/** Where the run failed first: the failed-here node that ended earliest. */
export const firstFailure = (tree: TraceTree): TraceNode | undefined =>
  allNodes(tree)
    .filter((node) => node.failedHere)
    .sort((a, b) => a.endMs - b.endMs || a.startMs - b.startMs)[0]

/**
 * The run's one duration, used by every view (Runs row, Trace root, timeline): its root span's —
 * the workflow span, or the trace's only top span — ticking while that span is open, so it is what
 * the trace shows whatever else the process did before or after. Before the root arrives: the time
 * since the first span (or the process) started; a trace whose top spans are several and none a
 * workflow: their extent.
 */
export const runDurationMs = (run: { readonly status: string; readonly startedMs: number; readonly endedMs?: number }, tree: TraceTree, now: number): number => {
  const nodes = tree.roots
  if (nodes.length === 0) return Math.max(0, (run.endedMs ?? now) - run.startedMs)
  const root = nodes.find((node) => node.kind === "workflow" && !node.orphan) ?? (nodes.length === 1 && !nodes[0]!.orphan ? nodes[0] : undefined)
  // A root left open by a process that ended (killed, interrupted) stops at the process's end.
  if (root !== undefined) return root.open && run.endedMs !== undefined ? Math.max(0, run.endedMs - root.startMs) : nodeDurationMs(root, now)
  const start = Math.min(...nodes.map((node) => node.startMs))
  const live = run.status === "running" || nodes.some((node) => node.open)
  if (live && run.endedMs === undefined) return Math.max(0, now - start)
  return Math.max(0, Math.max(...nodes.map((node) => node.endMs)) - start)
}

/** The `aixfx.run.id`s the run's spans carry (a durable run's id, for a run of `@aixfx/durable`), outermost first. */
export const traceRunIds = (tree: TraceTree): ReadonlyArray<string> => [
  ...new Set(allNodes(tree).flatMap((node) => {
    const id = node.span.attributes["aixfx.run.id"]
    return typeof id === "string" ? [id] : []
  }))
]
