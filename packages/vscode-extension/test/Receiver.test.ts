import { context, trace } from "@opentelemetry/api"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { request } from "node:http"
import { gzipSync } from "node:zlib"
import { afterEach, describe, expect, it } from "vitest"
import { type Receiver, startReceiver } from "../src/Receiver.js"
import { RunStore } from "../src/RunStore.js"
import { TRACE_A, TRACE_B, otlpJson, routerRun } from "./fixtures.js"

const open: Array<Receiver> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((receiver) => receiver.close()))
})

const setup = async (maxBodyBytes = 1_000_000) => {
  const store = new RunStore({ maxRuns: 20, maxSpansPerRun: 10_000 })
  const receiver = await startReceiver({ port: 0, maxBodyBytes, onSpans: (runId, spans) => store.addSpans(runId, spans) })
  open.push(receiver)
  return { store, receiver }
}

const post = (url: string, body: Uint8Array | string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  fetch(url, { method: "POST", body: typeof body === "string" ? body : new Uint8Array(body), headers }).then(async (response) => ({ status: response.status, text: await response.text() }))

describe("Receiver", () => {
  it("binds 127.0.0.1 on a random port and hands JSON spans to the run named in the path", async () => {
    const { store, receiver } = await setup()
    expect(receiver.port).toBeGreaterThan(0)
    expect(receiver.endpoint("run-1")).toBe(`http://127.0.0.1:${receiver.port}/runs/run-1`)
    const run = store.startProcessRun("demo", "/w/demo.mjs")
    const response = await post(`${receiver.endpoint(run.id)}/v1/traces`, JSON.stringify(otlpJson(TRACE_A, routerRun)))
    expect(response).toEqual({ status: 200, text: "{}" })
    expect(store.spans(run.id)).toHaveLength(5)
  })

  it("accepts protobuf and gzip bodies", async () => {
    const { store, receiver } = await setup()
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": "p" }) })
    const span = provider.getTracer("t").startSpan("chat m", { attributes: { "gen_ai.operation.name": "chat" } })
    span.end()
    // A finished span is a ReadableSpan at runtime; the SDK types the tracer's result as the API Span.
    const bytes = ProtobufTraceSerializer.serializeRequest([span as any])!
    const response = await post(`${receiver.endpoint()}/v1/traces`, gzipSync(bytes), { "content-type": "application/x-protobuf", "content-encoding": "gzip" })
    expect(response.status).toBe(200)
    expect(response.text).toBe("")
    const [run] = store.runs()
    expect(run!.label).toBe("chat m")
    expect(store.spans(run!.id)[0]!.traceId).toBe(span.spanContext().traceId)
  })

  it("answers 400 to a malformed request and changes nothing", async () => {
    const { store, receiver } = await setup()
    const run = store.startProcessRun("demo", "/w/demo.mjs")
    await post(`${receiver.endpoint(run.id)}/v1/traces`, JSON.stringify(otlpJson(TRACE_A, routerRun.slice(0, 2))))
    const before = JSON.stringify(store.snapshot())
    const bad = otlpJson(TRACE_A, routerRun) as any
    bad.resourceSpans[0].scopeSpans[0].spans[4].spanId = "not-hex"
    for (const [body, headers] of [
      ["{ not json", undefined],
      [JSON.stringify(bad), undefined],
      [new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]), { "content-type": "application/x-protobuf" }],
      ["garbage", { "content-type": "application/json", "content-encoding": "gzip" }]
    ] as const) {
      expect((await post(`${receiver.endpoint(run.id)}/v1/traces`, body, headers)).status).toBe(400)
    }
    expect(JSON.stringify(store.snapshot())).toBe(before)
  })

  it("answers 413 to a body over the limit, declared or streamed, and to a gzip bomb", async () => {
    const { store, receiver } = await setup(10_000)
    const huge = JSON.stringify({ resourceSpans: [], padding: "x".repeat(200_000) })
    expect((await post(`${receiver.endpoint()}/v1/traces`, huge)).status).toBe(413)
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${receiver.endpoint()}/v1/traces`, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on("error", reject)
      for (let i = 0; i < 20; i++) req.write("x".repeat(1_000))
      req.end()
    })
    expect(streamed).toBe(413)
    const bomb = gzipSync(Buffer.from(JSON.stringify({ resourceSpans: [], padding: " ".repeat(1_000_000) })))
    expect(bomb.length).toBeLessThan(10_000)
    expect((await post(`${receiver.endpoint()}/v1/traces`, bomb, { "content-type": "application/json", "content-encoding": "gzip" })).status).toBe(413)
    expect(store.runs()).toEqual([])
    // Still serving afterwards.
    expect((await post(`${receiver.endpoint()}/v1/traces`, JSON.stringify(otlpJson(TRACE_B, routerRun)))).status).toBe(200)
  })

  it("takes metrics and logs from runs and drops them (no 404 for an exporter)", async () => {
    const { store, receiver } = await setup()
    const run = store.startProcessRun("one", "/w/one.mjs")
    expect((await post(`${receiver.endpoint(run.id)}/v1/metrics`, '{"resourceMetrics":[]}')).status).toBe(200)
    expect((await post(`${receiver.endpoint()}/v1/logs`, "{}")).status).toBe(200)
    expect(store.spans(run.id)).toEqual([])
  })

  it("refuses other paths, methods and content types", async () => {
    const { receiver } = await setup()
    expect((await post(`${receiver.endpoint()}/v1/other`, "{}")).status).toBe(404)
    expect((await fetch(`${receiver.endpoint()}/v1/traces`)).status).toBe(405)
    expect((await post(`${receiver.endpoint()}/v1/traces`, "{}", { "content-type": "text/plain" })).status).toBe(415)
  })

  it("keeps the spans of two concurrent exporters in their own runs", async () => {
    const { store, receiver } = await setup()
    const runs = [store.startProcessRun("one", "/w/one.mjs"), store.startProcessRun("two", "/w/two.mjs")]
    await Promise.all(
      runs.map(async (run, index) => {
        // The real OTLP/HTTP exporter, configured the way the extension configures a child process.
        const exporter = new OTLPTraceExporter({ url: `${receiver.endpoint(run.id)}/v1/traces` })
        const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
        const tracer = provider.getTracer("t")
        for (let i = 0; i < 5; i++) {
          const parent = tracer.startSpan(`workflow ${index}-${i}`)
          tracer.startSpan(`chat ${index}-${i}`, {}, trace.setSpan(context.active(), parent)).end()
          parent.end()
        }
        await provider.forceFlush()
        await provider.shutdown()
      })
    )
    expect(store.spans(runs[0]!.id).map((span) => span.name.split(" ")[1]!.split("-")[0]).sort()).toEqual(Array(10).fill("0"))
    expect(store.spans(runs[1]!.id).map((span) => span.name.split(" ")[1]!.split("-")[0]).sort()).toEqual(Array(10).fill("1"))
  })
})
