/**
 * A run's spans as a tree (workflow → pattern → step → agent → model/tool), with usage rolled up.
 * Built from scratch on every change: spans may arrive out of order, so a span whose parent has
 * not arrived yet is shown at the top level until it does.
 */
import { type SpanRecord, durationMs, spanKey, stringAttribute } from "./Span.js"
import { type Usage, emptyUsage, ownUsage, rollUp } from "./Usage.js"

export type NodeKind = "workflow" | "pattern" | "step" | "agent" | "model" | "tool" | "span"

export interface TraceNode {
  readonly key: string
  readonly span: SpanRecord
  readonly kind: NodeKind
  readonly parentKey: string | undefined
  readonly children: ReadonlyArray<TraceNode>
  /** This span and everything under it. */
  readonly usage: Usage
  readonly durationMs: number
  /** Its parent is named but has not arrived (yet). */
  readonly orphan: boolean
  /** Errors in this subtree, this span included. */
  readonly errors: number
}

const classify = (span: SpanRecord): NodeKind => {
  const operation = stringAttribute(span.attributes, "gen_ai.operation.name")
  if (operation === "invoke_workflow" || span.name.startsWith("workflow ")) return "workflow"
  if (span.attributes["aixfx.pattern.kind"] !== undefined || span.name.startsWith("pattern.")) return "pattern"
  if (span.attributes["aixfx.step.name"] !== undefined || span.name.startsWith("step ")) return "step"
  if (operation === "execute_tool") return "tool"
  if (operation === "chat" || operation === "text_completion" || operation === "generate_content" || operation === "embeddings") return "model"
  if (operation === "invoke_agent" || operation === "create_agent") return "agent"
  return "span"
}

export interface TraceTree {
  readonly roots: ReadonlyArray<TraceNode>
  readonly byKey: ReadonlyMap<string, TraceNode>
}

export const buildTree = (spans: Iterable<SpanRecord>): TraceTree => {
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
    const key = spanKey(span)
    const children = sortByStart(childrenOf.get(key) ?? []).map((child) => build(child, key))
    const node: TraceNode = {
      key,
      span,
      kind: classify(span),
      parentKey,
      children,
      usage: rollUp(
        ownUsage(span),
        children.map((child) => child.usage)
      ),
      durationMs: durationMs(span),
      orphan: parentKey === undefined && span.parentSpanId !== undefined,
      errors: (span.status === "error" ? 1 : 0) + children.reduce((n, child) => n + child.errors, 0)
    }
    byKey.set(key, node)
    return node
  }
  return { roots: sortByStart(roots).map((root) => build(root, undefined)), byKey }
}

const sortByStart = (spans: ReadonlyArray<SpanRecord>): ReadonlyArray<SpanRecord> =>
  [...spans].sort((a, b) => a.startMs - b.startMs || a.spanId.localeCompare(b.spanId))

/** The run's total usage: the sum over its top-level nodes. */
export const treeUsage = (tree: TraceTree): Usage => rollUp(emptyUsage, tree.roots.map((root) => root.usage))
