/**
 * The trace model on spans recorded from real aixfx runs (examples/nested-patterns and the e2e
 * workflow refund-desk, offline model), as the receiver decoded them.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { chatMarkdown, parseChat, parseChatMarkdown } from "../src/Chat.js"
import { compareHtml, compareRuns } from "../src/Compare.js"
import { detailRows, nodeLabel, runView, traceNodeView } from "../src/Presentation.js"
import type { SpanRecord } from "../src/Span.js"
import { spanError, spanSourceLinks } from "../src/SourceLinks.js"
import { timelineData } from "../src/Timeline.js"
import { formatDuration } from "../src/Format.js"
import { allNodes, buildTree, firstFailure, runDurationMs, traceRunIds, treeUsage } from "../src/TraceTree.js"

const load = (name: string): ReadonlyArray<SpanRecord> => JSON.parse(readFileSync(new URL(`./traces/${name}.spans.json`, import.meta.url), "utf8"))
const nested = load("nested-patterns")
const refund = load("refund-desk")

describe("wrapper folding (nested-patterns: 79 spans, 9 model calls)", () => {
  it("folds each agent.call → invoke_agent → invoke_agent chain into one node, and shows them all on request", () => {
    const folded = allNodes(buildTree(nested))
    const unfolded = allNodes(buildTree(nested, { foldWrappers: false }))
    expect(unfolded).toHaveLength(79)
    expect(folded).toHaveLength(51)
    const lead = folded.find((node) => node.span.name === "agent.call lead")!
    expect(lead.folded.map((span) => span.name)).toEqual(["invoke_agent lead", "invoke_agent lead"])
    expect(lead.children.map((child) => child.span.name)).toEqual(["chat local-heuristic-1"])
    // A chain ending in a pattern shows as the pattern.
    const names = folded.map((node) => node.span.name)
    expect(names).toContain("pattern.reflection reviewed-section")
    expect(names).not.toContain("agent.call reviewed-section")
    expect(names).not.toContain("invoke_agent onboarding-note")
    // Every model call is still there, with its usage rolled up the same.
    expect(folded.filter((node) => node.kind === "model")).toHaveLength(9)
    const usage = (nodes: typeof folded) => nodes[0]!.usage
    expect(usage(folded)).toEqual(usage(unfolded))
  })

  it("names each row by the thing itself (the icon gives the kind), so deep rows stay short", () => {
    const labels = allNodes(buildTree(nested)).map((node) => nodeLabel(node))
    expect(labels.slice(0, 6)).toEqual(["nested-patterns", "onboarding-note", "plan", "lead", "local-heuristic-1", "team.costs"])
    expect(Math.max(...labels.map((label) => label.length))).toBeLessThanOrEqual(24)
  })

  it("shortens other libraries' long span names: the last part of a path, ids cut, 32 characters at most", () => {
    const workflow = nested.find((span) => span.parentSpanId === undefined)!
    const named = (name: string) => nodeLabel(buildTree([{ ...workflow, name, attributes: {} }]).roots[0]!)
    expect(named("Workflow/aixfx/run.client.run")).toBe("run.client.run")
    expect(named("Workflow/aixfx/run(6652f3b52a7b2001c114b7bddb37eb44).run")).toBe("run(6652f3…).run")
    expect(named("GET /v1/traces")).toBe("GET /v1/traces")
    expect(named("a-very-long-span-name-from-some-other-library-entirely")).toBe("a-very-long-spa…ibrary-entirely")
  })
})

describe("failures (refund-desk: the refunds agent fails, five ancestors propagate it)", () => {
  const tree = buildTree(refund)
  it("marks only the span where it failed, and finds it as the first failure", () => {
    const failed = allNodes(tree).filter((node) => node.errors > 0)
    expect(failed.length).toBeGreaterThan(2)
    const here = failed.filter((node) => node.failedHere)
    expect(here.map((node) => node.span.name)).toEqual(["agent.call refunds"])
    expect(firstFailure(tree)?.key).toBe(here[0]!.key)
    const now = Date.now()
    expect(traceNodeView(here[0]!, now)).toMatchObject({ icon: "error", description: "failed here" })
    const workflow = tree.roots[0]!
    expect(traceNodeView(workflow, now)).toMatchObject({ icon: "symbol-event", color: "testing.iconFailed" })
    expect(traceNodeView(workflow, now).tooltip).toContain("Propagated an error from below: AgentFailed: Agent \"refunds\" failed: ledger has no invoice 1042")
  })

  it("reads the error and links the stack's own frames to file:line, not node_modules", () => {
    const span = firstFailure(tree)!.span
    expect(spanError(span)).toBe('AgentFailed: Agent "refunds" failed: ledger has no invoice 1042')
    const links = spanSourceLinks(span)
    expect(links[0]).toEqual({ path: "/repo/packages/core/src/AgentError.ts", line: 92, column: 12, where: "Function.of" })
    expect(links).toContainEqual({ path: "/repo/packages/vscode-extension/test/e2e/workflows/refund-desk.ts", line: 11, column: 67, where: "lookUpLedger" })
    expect(links.some((link) => link.path.includes("node_modules"))).toBe(false)
    const rows = detailRows(span)
    // The message in lines that fit the sidebar at its default width.
    expect(rows[0]).toMatchObject({ type: "error", label: "error", lines: ['AgentFailed: Agent "refunds"', "failed: ledger has no invoice", "1042"] })
    expect(rows.filter((row) => row.type === "source").map((row) => row.value)).toContain("refund-desk.ts:11")
  })

  it("colours the timeline: failed here solid, ancestors outlined", () => {
    const run = { id: "r", label: "refund-desk", source: "process" as const, status: "failed" as const, startedMs: 0, endedMs: 1, droppedSpans: 0 }
    const bars = timelineData(run, tree, Date.now()).bars
    expect(bars.filter((bar) => bar.failedHere).map((bar) => bar.name)).toEqual(["agent.call refunds"])
    expect(bars.filter((bar) => bar.error).map((bar) => bar.name)).toEqual(["workflow refund-desk", "pattern.router desk", "step desk.route.refunds"])
  })
})

describe("live runs", () => {
  it("shows open spans as running with a ticking clock, and one run duration", () => {
    const workflow = nested.find((span) => span.parentSpanId === undefined)!
    const open: SpanRecord = { ...workflow, endMs: workflow.startMs, open: true }
    const started = nested.filter((span) => span.startMs < workflow.startMs + 300 && span !== workflow)
    const tree = buildTree([open, ...started.map((span) => ({ ...span, endMs: span.startMs, open: true as const }))])
    const root = tree.roots[0]!
    expect(root.open).toBe(true)
    expect(traceNodeView(root, workflow.startMs + 1_500)).toMatchObject({ icon: "loading~spin", description: "1.50 s" })
    const run = { status: "running", startedMs: workflow.startMs - 2_000 }
    expect(runDurationMs(run, tree, workflow.startMs + 1_500)).toBe(1_500)
    // Finished: the trace's extent, whatever the process took.
    const done = buildTree(nested)
    expect(runDurationMs({ status: "succeeded", startedMs: workflow.startMs - 2_000, endedMs: workflow.endMs + 3_000 }, done, 0)).toBeCloseTo(workflow.endMs - workflow.startMs, 3)
  })
})

describe("one duration per run", () => {
  it("is the root span's, in the Runs row, the Trace root and the timeline, whatever else the process sent or took", () => {
    const workflow = nested.find((span) => span.parentSpanId === undefined)!
    const rootMs = workflow.endMs - workflow.startMs
    // A top-level span of the same process outside the workflow (a start-up or a flush), which
    // stretches the trace's extent, and a process that lived seconds longer than its workflow.
    const outside: SpanRecord = { ...workflow, spanId: "00000000000000aa", name: "exporter flush", startMs: workflow.endMs + 200, endMs: workflow.endMs + 900, attributes: {} }
    const tree = buildTree([...nested, outside])
    expect(tree.roots).toHaveLength(2)
    const run = { id: "r", label: "nested-patterns", source: "process" as const, status: "succeeded" as const, startedMs: workflow.startMs - 2_000, endedMs: workflow.endMs + 3_000, droppedSpans: 0 }
    const duration = runDurationMs(run, tree, workflow.endMs + 10_000)
    expect(duration).toBeCloseTo(rootMs, 6)
    const shown = formatDuration(rootMs)
    // The local model costs $0, so each row's one figure is the duration.
    const root = tree.roots.find((node) => node.kind === "workflow")!
    expect(traceNodeView(root, 0).description).toBe(shown)
    expect(runView(run, treeUsage(tree), duration).description).toBe(shown)
    expect(timelineData(run, tree, workflow.endMs + 10_000).totals.split(" · ")[0]).toBe(shown)
  })

  it("ticks with the open root span, and stops where the process ended when the root never closed", () => {
    const workflow = nested.find((span) => span.parentSpanId === undefined)!
    const open = buildTree([{ ...workflow, endMs: workflow.startMs, open: true }])
    expect(runDurationMs({ status: "running", startedMs: workflow.startMs - 500 }, open, workflow.startMs + 700)).toBe(700)
    expect(runDurationMs({ status: "interrupted", startedMs: workflow.startMs - 500, endedMs: workflow.startMs + 900 }, open, workflow.startMs + 60_000)).toBe(900)
  })
})

describe("a run that is a suspended durable run", () => {
  it("is found by the run id its spans carry, and its Runs row says what it waits for", () => {
    const workflow = nested.find((span) => span.parentSpanId === undefined)!
    const durable = buildTree([{ ...workflow, endMs: workflow.startMs, open: true, attributes: { ...workflow.attributes, "aixfx.run.id": "note-1" } }])
    expect(traceRunIds(durable)).toEqual(["note-1"])
    expect(traceRunIds(buildTree([]))).toEqual([])
    const run = { id: "r", label: "approval-wait", source: "process" as const, status: "running" as const, startedMs: workflow.startMs, droppedSpans: 0 }
    expect(runView(run, treeUsage(durable), 5_000, ["publish"])).toMatchObject({ description: "awaiting publish", icon: "debug-pause" })
    // While it waits the row does not change with the clock (a redraw would eat a click on its buttons).
    expect(runView(run, treeUsage(durable), 9_000, ["publish"])).toEqual(runView(run, treeUsage(durable), 5_000, ["publish"]))
    // Once decided (nothing awaited) or finished, the row is an ordinary run's again.
    expect(runView(run, treeUsage(durable), 5_000, [])).toMatchObject({ description: "5.00 s", icon: "sync~spin" })
    expect(runView({ ...run, status: "succeeded", endedMs: workflow.startMs + 5_000 }, treeUsage(durable), 5_000, ["publish"]).icon).toBe("pass")
  })
})

describe("prompts as chat, and two runs compared", () => {
  it("turns captured messages into a transcript and back", () => {
    const chat = nested.find((span) => span.name.startsWith("chat "))!
    const messages = parseChat(String(chat.attributes["gen_ai.input.messages"]))!
    expect(messages.map((message) => message.role)).toEqual(["system", "user"])
    const markdown = chatMarkdown("prompt", messages)
    expect(markdown).toContain("## system\n\nYou lead the docs team.")
    expect(parseChatMarkdown(markdown)).toEqual(messages)
  })

  it("flags the steps whose output changed", () => {
    const changed = nested.map((span) =>
      span.name === "chat local-heuristic-1" && span.attributes["gen_ai.agent.name"] === "lead"
        ? { ...span, attributes: { ...span.attributes, "gen_ai.output.messages": '[{"role":"assistant","content":"another plan"}]', "gen_ai.usage.output_tokens": 5 } }
        : span
    )
    const rows = compareRuns(buildTree(nested), buildTree(changed))
    const differing = rows.filter((row) => row.changes.includes("output"))
    expect(differing.map((row) => row.name)).toEqual(["chat local-heuristic-1"])
    expect(differing[0]!.changes).toContain("tokens")
    expect(rows.every((row) => !row.changes.includes("only in A") && !row.changes.includes("only in B"))).toBe(true)
    // The page puts run A's facts above run B's for each step (seven columns), the changed ones highlighted.
    const html = compareHtml("A", "B", rows, "vscode-resource:")
    expect(html.match(/<tr class="a /g)).toHaveLength(rows.length)
    expect(html.match(/<tr class="b /g)).toHaveLength(rows.length)
    expect(html).toMatch(/<td class="output changed">[^<]*another plan[^<]*<\/td>/)
  })
})
