/** The timeline's cost and token table: model calls grouped by agent and by model. */
import { stringAttribute } from "./Span.js"
import type { TraceNode, TraceTree } from "./TraceTree.js"
import { ownUsage } from "./Usage.js"

export interface UsageRow {
  readonly name: string
  readonly calls: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number | undefined
}

export interface UsageSummary {
  readonly byAgent: ReadonlyArray<UsageRow>
  readonly byModel: ReadonlyArray<UsageRow>
}

const NO_AGENT = "(no agent)"

export const summarize = (tree: TraceTree): UsageSummary => {
  const byAgent = new Map<string, UsageRow>()
  const byModel = new Map<string, UsageRow>()
  // A model call belongs to the nearest enclosing span that names an agent (a pattern is an agent too).
  const visit = (node: TraceNode, agent: string): void => {
    const named = stringAttribute(node.span.attributes, "gen_ai.agent.name")
    const current = node.kind === "agent" || node.kind === "pattern" ? (named ?? agent) : agent
    if (node.kind === "model") {
      const attributes = node.span.attributes
      const model = stringAttribute(attributes, "gen_ai.response.model") ?? stringAttribute(attributes, "gen_ai.request.model") ?? node.span.name
      add(byAgent, current, node)
      add(byModel, model, node)
    }
    for (const child of node.children) visit(child, current)
  }
  for (const root of tree.roots) visit(root, NO_AGENT)
  const sorted = (rows: Map<string, UsageRow>) => [...rows.values()].sort((a, b) => (b.costUsd ?? 0) - (a.costUsd ?? 0) || a.name.localeCompare(b.name))
  return { byAgent: sorted(byAgent), byModel: sorted(byModel) }
}

const add = (rows: Map<string, UsageRow>, name: string, node: TraceNode): void => {
  const own = ownUsage(node.span)
  const row = rows.get(name) ?? { name, calls: 0, inputTokens: 0, outputTokens: 0, costUsd: undefined }
  rows.set(name, {
    name,
    calls: row.calls + 1,
    inputTokens: row.inputTokens + own.inputTokens,
    outputTokens: row.outputTokens + own.outputTokens,
    costUsd: own.costUsd === undefined ? row.costUsd : (row.costUsd ?? 0) + own.costUsd
  })
}
