import { describe, expect, it } from "vitest"
import { MAX_ATTRIBUTE_CHARS, TRUNCATION_MARKER, decodeTraceRequest } from "../src/OtlpDecode.js"
import { RunStore } from "../src/RunStore.js"
import { TRACE_A, TRACE_B, otlpJson, routerRun } from "./fixtures.js"

const makeStore = (maxRuns = 10, maxSpansPerRun = 1_000) => {
  let clock = 1_000
  let ids = 0
  return new RunStore({ maxRuns, maxSpansPerRun, now: () => (clock += 10), newId: () => `run-${++ids}` })
}
const spans = (traceId: string) => decodeTraceRequest(otlpJson(traceId, routerRun))

describe("RunStore", () => {
  it("stores a span sent twice once, the later copy winning", () => {
    const store = makeStore()
    const run = store.startProcessRun("demo", "/w/demo.mjs")
    store.addSpans(run.id, spans(TRACE_A))
    const resent = spans(TRACE_A).map((span) => (span.name === "chat gpt-4o" ? { ...span, endMs: span.endMs + 5 } : span))
    store.addSpans(run.id, resent)
    expect(store.spans(run.id)).toHaveLength(5)
    expect(store.spans(run.id).find((span) => span.name === "chat gpt-4o")!.endMs).toBe(resent[4]!.endMs)
  })

  it("keeps two concurrent process runs apart even when they share a trace id", () => {
    const store = makeStore()
    const one = store.startProcessRun("one", "/w/one.mjs")
    const two = store.startProcessRun("two", "/w/two.mjs")
    store.addSpans(one.id, spans(TRACE_A).slice(0, 2))
    store.addSpans(two.id, spans(TRACE_A))
    store.addSpans(one.id, spans(TRACE_A).slice(2))
    expect(store.spans(one.id)).toHaveLength(5)
    expect(store.spans(two.id)).toHaveLength(5)
    store.finishRun(one.id, "succeeded", 0)
    expect(store.run(one.id)).toMatchObject({ status: "succeeded", exitCode: 0 })
    expect(store.run(two.id)!.status).toBe("running")
  })

  it("gives spans that name no run one run per trace id, named after the root span", () => {
    const store = makeStore()
    const changed = store.addSpans(undefined, [...spans(TRACE_B).slice(3), ...spans(TRACE_A)])
    store.addSpans("no-such-run", spans(TRACE_B).slice(0, 3))
    expect(changed).toEqual([`trace-${TRACE_B}`, `trace-${TRACE_A}`])
    expect(store.runs().map((run) => [run.id, run.source, run.label, store.spans(run.id).length]).sort()).toEqual([
      [`trace-${TRACE_A}`, "otlp", "workflow support", 5],
      [`trace-${TRACE_B}`, "otlp", "workflow support", 5]
    ])
  })

  it("keeps the newest runs up to the limit, never dropping one that is running", () => {
    const store = makeStore(2)
    const running = store.startProcessRun("long", "/w/long.mjs")
    const a = store.startProcessRun("a", "/w/a.mjs")
    store.finishRun(a.id, "succeeded", 0)
    const b = store.startProcessRun("b", "/w/b.mjs")
    store.finishRun(b.id, "failed", 1)
    const c = store.importRun("c", spans(TRACE_A))
    expect(store.runs().map((run) => run.id).sort()).toEqual([c.id, running.id].sort())
  })

  it("counts spans beyond the per-run limit instead of storing them", () => {
    const store = makeStore(10, 3)
    const run = store.startProcessRun("demo", "/w/demo.mjs")
    store.addSpans(run.id, spans(TRACE_A))
    expect(store.spans(run.id)).toHaveLength(3)
    expect(store.run(run.id)!.droppedSpans).toBe(2)
  })

  it("restores a snapshot, marking runs that were going on as interrupted", () => {
    const store = makeStore()
    const done = store.startProcessRun("done", "/w/done.mjs")
    store.addSpans(done.id, spans(TRACE_A))
    store.finishRun(done.id, "succeeded", 0)
    store.startProcessRun("going", "/w/going.mjs")
    store.addSpans(undefined, spans(TRACE_B))
    const restored = makeStore()
    restored.restore(JSON.parse(JSON.stringify(store.snapshot())))
    expect(restored.runs().map((run) => [run.label, run.status])).toEqual(store.runs().map((run) => [run.label, run.status === "running" ? "interrupted" : run.status]))
    expect(restored.spans(done.id)).toEqual(store.spans(done.id))
    // Late spans of a restored trace-id run still land in it.
    restored.addSpans(undefined, spans(TRACE_B))
    expect(restored.runs()).toHaveLength(3)
  })

  it("clears finished runs and tells listeners", () => {
    const store = makeStore()
    const seen: Array<string | undefined> = []
    store.onDidChange((id) => seen.push(id))
    const running = store.startProcessRun("going", "/w/going.mjs")
    store.importRun("old", spans(TRACE_A))
    store.clear()
    expect(store.runs().map((run) => run.id)).toEqual([running.id])
    expect(seen.at(-1)).toBeUndefined()
  })

  it("keeps a span open until its end arrives, and never lets a late start notice reopen it", () => {
    const store = makeStore()
    const run = store.startProcessRun("live", "/w/live.mjs")
    const [first] = spans(TRACE_A)
    const open = { ...first!, endMs: first!.startMs, open: true as const }
    store.addSpans(run.id, [open])
    expect(store.spans(run.id)[0]!.open).toBe(true)
    store.addSpans(run.id, [first!])
    store.addSpans(run.id, [open])
    expect(store.spans(run.id)[0]).toEqual(first)
  })

  it("cuts attribute strings over the cap, with a marker, before they are kept", () => {
    const huge = "x".repeat(MAX_ATTRIBUTE_CHARS * 3)
    const body = otlpJson(TRACE_A, [{ ...routerRun[0]!, attributes: [{ key: "big", value: { stringValue: huge } }] }])
    const [span] = decodeTraceRequest(body)
    const kept = String(span!.attributes["big"])
    expect(kept.length).toBeLessThan(MAX_ATTRIBUTE_CHARS + 100)
    expect(kept).toContain(`${TRUNCATION_MARKER} (${huge.length.toLocaleString("en-US")} characters in all)`)
  })

  it("takes a span with no end time as open", () => {
    const body = otlpJson(TRACE_A, [routerRun[0]!]) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> }
    body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!["endTimeUnixNano"] = "0"
    const [span] = decodeTraceRequest(body)
    expect(span).toMatchObject({ open: true })
    expect(span!.endMs).toBe(span!.startMs)
  })
})
