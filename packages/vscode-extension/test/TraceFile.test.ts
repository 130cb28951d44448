import { describe, expect, it } from "vitest"
import { OtlpDecodeError, decodeTraceRequest } from "../src/OtlpDecode.js"
import { RunStore } from "../src/RunStore.js"
import { decodeTraceFile, encodeTraceFile } from "../src/TraceFile.js"
import { TRACE_A, TRACE_B, otlpJson, routerRun } from "./fixtures.js"

describe("TraceFile", () => {
  it("exports a run as OTLP JSON that imports back to the same spans and run facts", () => {
    const store = new RunStore({ maxRuns: 5, maxSpansPerRun: 100 })
    const run = store.startProcessRun("support", "/w/support.mjs")
    const spans = [...decodeTraceRequest(otlpJson(TRACE_A, routerRun, "one")), ...decodeTraceRequest(otlpJson(TRACE_B, routerRun.slice(0, 1), "two"))]
    store.addSpans(run.id, spans)
    store.finishRun(run.id, "failed", 2)
    const file = JSON.parse(JSON.stringify(encodeTraceFile(store.run(run.id)!, store.spans(run.id))))
    expect(file.aixfx.run).toMatchObject({ label: "support", status: "failed", exitCode: 2, workflowPath: "/w/support.mjs" })
    // One resourceSpans entry per resource, as an OTLP exporter would group them.
    expect(file.resourceSpans).toHaveLength(2)
    const imported = decodeTraceFile(file, "support.trace.json")
    expect(imported.label).toBe("support")
    expect(imported.spans).toEqual(store.spans(run.id))
  })

  it("imports a plain OTLP JSON file, named after its root span", () => {
    const imported = decodeTraceFile(otlpJson(TRACE_A, routerRun), "spans.json")
    expect(imported.label).toBe("workflow support")
    expect(imported.spans).toHaveLength(5)
    expect(decodeTraceFile({ resourceSpans: [] }, "empty.json").label).toBe("empty.json")
  })

  it("refuses a file that is not OTLP JSON", () => {
    expect(() => decodeTraceFile({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: "x" }] }] }] }, "bad.json")).toThrow(OtlpDecodeError)
  })
})
