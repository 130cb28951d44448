/**
 * A run summary: the tree run → pattern → (nested pattern …) → agent → model with calls, errors,
 * tokens, cost and time, and a table to print it. Built from the spans of a run (the fuller
 * source: agent invocations, wall time, errors anywhere) or from the cost ledger (model calls only).
 */
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import * as CostLedger from "./CostLedger.js"
import * as Usage from "./Usage.js"

export type Kind = CostLedger.TreeNode["kind"]

/**
 * One row of the report. From spans, `calls` counts the node's own invocations (runs, pattern runs,
 * agent calls, model calls), `durationMs` is their wall time, `errors` the invocations that failed;
 * usage and cost add up the model calls below. From the ledger every figure counts model calls.
 */
export type Node = CostLedger.TreeNode

// ---- from spans ------------------------------------------------------------------------------

interface Draft {
  readonly kind: Kind
  readonly name: string
  calls: number
  errors: number
  durationMs: number
  usage: Usage.Usage
  costUsd: number
  unpricedCalls: number
  pricesAsOf: ReadonlyArray<string>
  readonly children: Array<Draft>
}

const STATUS_ERROR = 2

const durationMs = (span: ReadableSpan) => span.duration[0] * 1000 + span.duration[1] / 1e6

const numberAttribute = (span: ReadableSpan, key: string) => {
  const value = span.attributes[key]
  return typeof value === "number" ? value : 0
}

const afterSpace = (name: string) => name.slice(name.indexOf(" ") + 1)

/** The report node a span stands for, or undefined for spans that only pass their children up (steps, tools, …). */
const nodeOf = (span: ReadableSpan): { kind: Kind; name: string } | undefined => {
  if (span.name.startsWith("workflow ")) return { kind: "run", name: String(span.attributes["aixfx.workflow.name"] ?? afterSpace(span.name)) }
  if (span.name.startsWith("pattern.")) {
    const kind = span.attributes["aixfx.pattern.kind"]
    return { kind: "pattern", name: `${String(span.attributes["aixfx.pattern.name"] ?? afterSpace(span.name))}${typeof kind === "string" ? ` (${kind})` : ""}` }
  }
  if (span.attributes["gen_ai.operation.name"] === "chat") {
    const model = span.attributes["gen_ai.response.model"] ?? span.attributes["gen_ai.request.model"]
    return { kind: "model", name: `${String(span.attributes["gen_ai.provider.name"] ?? "?")}:${String(model ?? "?")}` }
  }
  const agent = span.attributes["gen_ai.agent.name"]
  if (typeof agent !== "string") return undefined
  return span.name.startsWith("agent.call ") || span.name.startsWith("invoke_agent ") ? { kind: "agent", name: agent } : undefined
}

/** Builds the report from the spans of one or more runs (e.g. `exporter.getFinishedSpans()`). */
export const fromSpans = (spans: ReadonlyArray<ReadableSpan>): ReadonlyArray<Node> => {
  const ids = new Set(spans.map((s) => s.spanContext().spanId))
  const children = new Map<string, Array<ReadableSpan>>()
  const roots: Array<ReadableSpan> = []
  for (const span of [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])) {
    const parent = span.parentSpanContext?.spanId
    if (parent === undefined || !ids.has(parent)) roots.push(span)
    else children.set(parent, [...(children.get(parent) ?? []), span])
  }

  const add = (into: Array<Draft>, draft: Draft) => {
    const same = into.find((d) => d.kind === draft.kind && d.name === draft.name)
    if (same === undefined) return into.push(draft)
    same.calls += draft.calls
    same.errors += draft.errors
    same.durationMs += draft.durationMs
    same.usage = Usage.add(same.usage, draft.usage)
    same.costUsd += draft.costUsd
    same.unpricedCalls += draft.unpricedCalls
    same.pricesAsOf = CostLedger.mergeDates(same.pricesAsOf, draft.pricesAsOf)
    for (const child of draft.children) add(same.children, child)
  }

  /** Adds the report nodes for `span` (or, for a pass-through span, for its children) to `into`. */
  const visit = (span: ReadableSpan, into: Array<Draft>, parentAgent: string | undefined): void => {
    const kids = children.get(span.spanContext().spanId) ?? []
    const node = nodeOf(span)
    const failed = span.status.code === STATUS_ERROR ? 1 : 0
    // A runtime call and the execution right under it are one invocation: the call (it includes
    // the wait and the timeout) stands for both. So is an agent executing a same-named agent inline.
    if (node?.kind === "agent" && span.name.startsWith("invoke_agent ") && parentAgent === node.name) {
      for (const kid of kids) visit(kid, into, parentAgent)
      return
    }
    if (node === undefined) {
      for (const kid of kids) visit(kid, into, undefined)
      return
    }
    const draft: Draft = {
      ...node,
      calls: 1,
      errors: failed,
      durationMs: durationMs(span),
      usage: Usage.empty,
      costUsd: 0,
      unpricedCalls: 0,
      pricesAsOf: [],
      children: []
    }
    if (node.kind === "model") {
      draft.usage = Usage.make({
        inputTokens: numberAttribute(span, "gen_ai.usage.input_tokens"),
        outputTokens: numberAttribute(span, "gen_ai.usage.output_tokens"),
        cachedInputTokens: numberAttribute(span, "gen_ai.usage.cache_read.input_tokens"),
        cacheWriteTokens: numberAttribute(span, "gen_ai.usage.cache_creation.input_tokens"),
        reasoningTokens: numberAttribute(span, "gen_ai.usage.reasoning.output_tokens")
      })
      draft.costUsd = numberAttribute(span, "gen_ai.usage.cost")
      draft.unpricedCalls = span.attributes["aixfx.cost.unknown"] === true ? 1 : 0
      const asOf = span.attributes["aixfx.cost.prices_as_of"]
      if (typeof asOf === "string") draft.pricesAsOf = [asOf]
    }
    for (const kid of kids) visit(kid, draft.children, node.kind === "agent" ? node.name : undefined)
    for (const child of draft.children) {
      draft.usage = Usage.add(draft.usage, child.usage)
      draft.costUsd += child.costUsd
      draft.unpricedCalls += child.unpricedCalls
      draft.pricesAsOf = CostLedger.mergeDates(draft.pricesAsOf, child.pricesAsOf)
    }
    // A pattern is an agent: show it once, as the pattern, with the call's failures.
    const [only] = draft.children
    if (draft.kind === "agent" && draft.children.length === 1 && only!.kind === "pattern" && only!.name.split(" (")[0] === draft.name) {
      only!.errors = Math.max(only!.errors, draft.errors)
      add(into, only!)
      return
    }
    add(into, draft)
  }

  const top: Array<Draft> = []
  for (const root of roots) visit(root, top, undefined)
  const freeze = (d: Draft): Node => ({
    kind: d.kind,
    name: d.name,
    totals: {
      calls: d.calls,
      errors: d.errors,
      usage: d.usage,
      costUsd: d.costUsd,
      unpricedCalls: d.unpricedCalls,
      pricesAsOf: d.pricesAsOf,
      durationMs: Math.round(d.durationMs)
    },
    children: d.children.map(freeze)
  })
  return top.map(freeze)
}

// ---- from the ledger -------------------------------------------------------------------------

export interface LedgerOptions {
  /**
   * Spans of the runs (their `workflow <name>` spans suffice): a run's time is then its workflow
   * span's duration, the run's wall time as every trace viewer shows it, not the sum of its model calls.
   */
  readonly runSpans?: ReadonlyArray<ReadableSpan>
}

/** The wall time of each run (`aixfx.run.id`) from its `workflow <name>` span. */
const runWallTimes = (spans: ReadonlyArray<ReadableSpan>): ReadonlyMap<string, number> =>
  new Map(
    spans.flatMap((span) => {
      const runId = span.attributes["aixfx.run.id"]
      return span.name.startsWith("workflow ") && typeof runId === "string" ? [[runId, Math.round(durationMs(span))] as const] : []
    })
  )

/**
 * Builds the report from ledger entries: every figure counts model calls (no agent wall time); a
 * run's time is the sum of its model calls unless `runSpans` gives its wall time.
 */
export const fromLedger = (entries: ReadonlyArray<CostLedger.Entry>, options: LedgerOptions = {}): ReadonlyArray<Node> =>
  CostLedger.tree(entries, runWallTimes(options.runSpans ?? []))

// ---- table -----------------------------------------------------------------------------------

/**
 * The known cost, and how many model calls below had no price; a model row none of whose calls had
 * one says "unpriced" (other rows count their own invocations, not model calls).
 */
const money = (kind: Kind | "total", t: CostLedger.Totals) => {
  const usd = `$${t.costUsd.toFixed(6)}`
  if (t.unpricedCalls === 0) return usd
  return kind === "model" && t.unpricedCalls === t.calls ? "unpriced" : `${usd} + ${t.unpricedCalls} unpriced`
}

/** Aligns rows into columns: the first left-aligned, the others right-aligned, a rule under the header. */
export const formatTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: ReadonlyArray<string>) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd()
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n")
}

/**
 * Under the table: the date of the prices the calls were priced with, and each unpriced model with
 * how to give it a price.
 */
const notes = (nodes: ReadonlyArray<Node>): ReadonlyArray<string> => {
  const dates = nodes.reduce<ReadonlyArray<string>>((all, n) => CostLedger.mergeDates(all, n.totals.pricesAsOf), [])
  const unpriced = new Map<string, number>()
  const collect = (node: Node): void => {
    if (node.kind === "model" && node.totals.unpricedCalls > 0) unpriced.set(node.name, (unpriced.get(node.name) ?? 0) + node.totals.unpricedCalls)
    node.children.forEach(collect)
  }
  nodes.forEach(collect)
  return [
    ...(dates.length === 0 ? [] : [`Prices as of ${dates.join(", ")}.`]),
    ...[...unpriced].map(([name, calls]) => {
      const colon = name.indexOf(":")
      const [provider, model] = [name.slice(0, colon), name.slice(colon + 1)]
      return `Unpriced: ${name} (${calls} call${calls === 1 ? "" : "s"}; not in the costs above). Add its price with ` +
        `withCostTracking({ prices: { ${JSON.stringify(provider)}: { ${JSON.stringify(model)}: { input, output } } } }) ` +
        `from @aixfx/providers (USD per 1M tokens), or alias it to a priced model with { aliases }.`
    })
  ]
}

/**
 * The report as an indented table: one row per node, a total row when there are several runs; then
 * the prices' date (`Pricing.asOf`, recorded with each priced call) and each unpriced model with how
 * to price it.
 */
export const format = (nodes: ReadonlyArray<Node>): string => {
  const rows: Array<ReadonlyArray<string>> = [["", "calls", "errors", "input tok", "output tok", "cost", "time"]]
  const row = (kind: Kind | "total", label: string, t: CostLedger.Totals) => [
    label,
    String(t.calls),
    String(t.errors),
    String(t.usage.inputTokens),
    String(t.usage.outputTokens),
    money(kind, t),
    `${t.durationMs} ms`
  ]
  const walk = (node: Node, depth: number) => {
    rows.push(row(node.kind, `${"  ".repeat(depth)}${node.kind} ${node.name}`, node.totals))
    for (const child of node.children) walk(child, depth + 1)
  }
  for (const node of nodes) walk(node, 0)
  if (nodes.length > 1) {
    const sum = nodes.reduce<CostLedger.Totals>(
      (t, n) => ({
        calls: t.calls + n.totals.calls,
        errors: t.errors + n.totals.errors,
        usage: Usage.add(t.usage, n.totals.usage),
        costUsd: t.costUsd + n.totals.costUsd,
        unpricedCalls: t.unpricedCalls + n.totals.unpricedCalls,
        pricesAsOf: CostLedger.mergeDates(t.pricesAsOf, n.totals.pricesAsOf),
        durationMs: t.durationMs + n.totals.durationMs
      }),
      CostLedger.emptyTotals
    )
    rows.push(row("total", "total", sum))
  }
  return [formatTable(rows), ...notes(nodes)].join("\n")
}
