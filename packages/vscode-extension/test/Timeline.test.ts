import { describe, expect, it } from "vitest"
import { decodeTraceRequest } from "../src/OtlpDecode.js"
import { detailRows, runView, traceNodeView } from "../src/Presentation.js"
import { RunStore } from "../src/RunStore.js"
import { summarize } from "../src/Summary.js"
import { timelineData } from "../src/Timeline.js"
import { timelineHtml } from "../src/TimelineHtml.js"
import { buildTree, runDurationMs, treeUsage } from "../src/TraceTree.js"
import { TRACE_A, otlpJson, routerRun } from "./fixtures.js"

const setup = () => {
  const store = new RunStore({ maxRuns: 5, maxSpansPerRun: 100, now: () => 1_000 })
  const run = store.startProcessRun("support", "/w/support.mjs")
  store.addSpans(run.id, decodeTraceRequest(otlpJson(TRACE_A, routerRun)))
  return { store, run: store.run(run.id)!, tree: buildTree(store.spans(run.id)) }
}

describe("timeline and views", () => {
  it("sums model calls by the agent that made them and by model", () => {
    const { byAgent, byModel } = summarize(setup().tree)
    expect(byAgent).toEqual([
      { name: "billing", calls: 1, inputTokens: 400, outputTokens: 200, costUsd: 0.003 },
      { name: "triage", calls: 1, inputTokens: 100, outputTokens: 10, costUsd: 0.0001 }
    ])
    expect(byModel.map((row) => row.name)).toEqual(["gpt-4o", "gpt-4o-mini"])
  })

  it("lays the spans out in tree order with offsets from the run's start", () => {
    const { store, run, tree } = setup()
    store.finishRun(run.id, "succeeded", 0)
    const data = timelineData(store.run(run.id)!, tree, Date.now())
    expect(data.totalMs).toBeCloseTo(900, 6)
    expect(data.bars.map((bar) => [bar.name, bar.depth])).toEqual([
      ["workflow support", 0],
      ["pattern.router triage", 1],
      ["chat gpt-4o-mini", 2],
      ["invoke_agent billing", 2],
      ["chat gpt-4o", 3]
    ])
    expect(data.bars[4]!.offsetMs).toBeCloseTo(240, 6)
    expect(data.bars[4]!.detail).toBe("620 ms · 600 tok · $0.0030")
    expect(data.totals).toBe("900 ms · 2 model calls · 710 tok · $0.0031")
    expect(data.agents).toEqual(["billing", "triage"])
    expect(data.models).toEqual(["gpt-4o", "gpt-4o-mini"])
  })

  it("describes runs and nodes for the tree views", () => {
    const { store, run, tree } = setup()
    store.finishRun(run.id, "succeeded", 0)
    const finished = store.run(run.id)!
    const view = runView(finished, treeUsage(tree), runDurationMs(finished, tree, Date.now()))
    // One figure in the row (cost when there is one); status is the icon, the rest is in the hover.
    expect(view).toMatchObject({ label: "support", icon: "pass", description: "$0.0031" })
    expect(view.tooltip).toContain("900 ms")
    const router = tree.roots[0]!.children[0]!
    expect(traceNodeView(router, Date.now())).toMatchObject({ label: "triage", icon: "type-hierarchy", description: "$0.0031" })
    expect(traceNodeView(router, Date.now()).tooltip).toContain("870 ms")
    expect(traceNodeView(router, Date.now()).tooltip).toContain("**pattern.router triage**")
  })

  it("shows captured prompt and output first among a span's details", () => {
    const chat = setup().tree.byKey.get(`${TRACE_A}/a000000000000005`)!.span
    const rows = detailRows(chat)
    expect(rows.slice(0, 3).map((row) => [row.label, row.type])).toEqual([
      ["prompt", "content"],
      ["output", "content"],
      ["status", "fact"]
    ])
    expect(rows[0]!.value).toContain("charged twice")
    expect(rows.find((row) => row.label === "gen_ai.usage.cost")!.value).toBe("0.003")
    expect(rows.some((row) => row.label === "gen_ai.input.messages")).toBe(false)
  })

  it("allows only the nonce's script in the webview", () => {
    const html = timelineHtml({ nonce: "abc123", cspSource: "vscode-resource:", scriptUri: "vscode-resource:/t.js", styleUri: "vscode-resource:/t.css" })
    expect(html).toContain("script-src 'nonce-abc123'")
    expect(html).toContain("default-src 'none'")
    expect(html).toContain('<script nonce="abc123" src="vscode-resource:/t.js">')
  })
})
