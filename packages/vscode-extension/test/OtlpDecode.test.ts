import { describe, expect, it } from "vitest"
import { OtlpDecodeError, decodeTraceRequest } from "../src/OtlpDecode.js"
import { TRACE_A, otlpJson, routerRun } from "./fixtures.js"

describe("decodeTraceRequest (OTLP JSON)", () => {
  it("decodes ids, times, parents, status and typed attributes", () => {
    const spans = decodeTraceRequest(otlpJson(TRACE_A, routerRun))
    expect(spans).toHaveLength(5)
    const chat = spans.find((span) => span.name === "chat gpt-4o")!
    expect(chat.traceId).toBe(TRACE_A)
    expect(chat.parentSpanId).toBe("a000000000000004")
    expect(chat.endMs - chat.startMs).toBeCloseTo(620, 6)
    expect(chat.attributes["gen_ai.usage.input_tokens"]).toBe(400)
    expect(chat.attributes["gen_ai.usage.cost"]).toBe(0.003)
    expect(chat.resource["service.name"]).toBe("demo")
    expect(chat.scope).toBe("aixfx")
    expect(spans[0]!.parentSpanId).toBeUndefined()
  })

  it("accepts the spellings other producers use: base64 ids, enum names, numeric times, nested values", () => {
    const traceBytes = Buffer.from(TRACE_A, "hex")
    const [span] = decodeTraceRequest({
      resourceSpans: [
        {
          instrumentationLibrarySpans: [
            {
              spans: [
                {
                  traceId: traceBytes.toString("base64"),
                  spanId: Buffer.from("0102030405060708", "hex").toString("base64"),
                  parentSpanId: "",
                  name: "tool",
                  kind: "SPAN_KIND_CLIENT",
                  startTimeUnixNano: 1_000_000,
                  endTimeUnixNano: "3000000",
                  status: { code: "STATUS_CODE_ERROR", message: "failed" },
                  attributes: [
                    { key: "big", value: { intValue: "9007199254740993" } },
                    { key: "list", value: { arrayValue: { values: [{ boolValue: true }, { doubleValue: "NaN" }] } } },
                    { key: "map", value: { kvlistValue: { values: [{ key: "k", value: { stringValue: "v" } }] } } },
                    { key: "empty", value: {} }
                  ],
                  events: [{ name: "exception", timeUnixNano: "2000000", attributes: [{ key: "exception.type", value: { stringValue: "Boom" } }] }]
                }
              ]
            }
          ]
        }
      ]
    })
    expect(span).toMatchObject({
      traceId: TRACE_A,
      spanId: "0102030405060708",
      kind: 3,
      startMs: 1,
      endMs: 3,
      status: "error",
      statusMessage: "failed",
      attributes: { big: "9007199254740993", list: [true, "NaN"], map: { k: "v" }, empty: null },
      events: [{ name: "exception", timeMs: 2, attributes: { "exception.type": "Boom" } }]
    })
    expect(span!.parentSpanId).toBeUndefined()
  })

  it("treats an end time of zero as a span still open", () => {
    const body = otlpJson(TRACE_A, [routerRun[0]!]) as any
    body.resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano = "0"
    const [span] = decodeTraceRequest(body)
    expect(span!.endMs).toBe(span!.startMs)
  })

  it("accepts an empty export", () => {
    expect(decodeTraceRequest({})).toEqual([])
    expect(decodeTraceRequest({ resourceSpans: [] })).toEqual([])
  })

  const good = () => otlpJson(TRACE_A, routerRun) as any
  it.each([
    ["a non-object body", () => []],
    ["resourceSpans not a list", () => ({ resourceSpans: "x" })],
    ["a short trace id", () => (((b) => ((b.resourceSpans[0].scopeSpans[0].spans[3].traceId = "abc"), b))(good()))],
    ["an all-zero span id", () => (((b) => ((b.resourceSpans[0].scopeSpans[0].spans[0].spanId = "0000000000000000"), b))(good()))],
    ["a negative start time", () => (((b) => ((b.resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano = -5), b))(good()))],
    ["an unknown status code", () => (((b) => ((b.resourceSpans[0].scopeSpans[0].spans[1].status = { code: 7 }), b))(good()))],
    ["a non-integer intValue", () => (((b) => ((b.resourceSpans[0].scopeSpans[0].spans[2].attributes[2].value = { intValue: "1.5" }), b))(good()))]
  ])("rejects the whole request for %s", (_name, body) => {
    expect(() => decodeTraceRequest(body())).toThrow(OtlpDecodeError)
  })
})
