import { SpanStatusCode, context, trace } from "@opentelemetry/api"
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { describe, expect, it } from "vitest"
import { OtlpDecodeError, decodeTraceRequest } from "../src/OtlpDecode.js"
import { decodeTraceRequestProto } from "../src/OtlpProto.js"

/** Spans made by the real OpenTelemetry SDK, serialised by its own OTLP serialisers. */
const sdkSpans = () => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "proto-test" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)]
  })
  const tracer = provider.getTracer("aixfx-test", "1.0.0")
  const root = tracer.startSpan("workflow demo", { attributes: { "gen_ai.operation.name": "invoke_workflow" } })
  const chat = tracer.startSpan(
    "chat gpt-4o",
    {
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.usage.input_tokens": 1234,
        "gen_ai.usage.cost": 0.0125,
        "gen_ai.response.finish_reasons": ["stop"],
        ok: true,
        empty: ""
      }
    },
    trace.setSpan(context.active(), root)
  )
  chat.addEvent("retry", { attempt: 2 })
  chat.setStatus({ code: SpanStatusCode.ERROR, message: "rate limited" })
  chat.end()
  root.end()
  return exporter.getFinishedSpans()
}

describe("decodeTraceRequestProto", () => {
  it("decodes what the OpenTelemetry protobuf serialiser writes, identically to its JSON", () => {
    const spans = sdkSpans()
    const fromProto = decodeTraceRequestProto(ProtobufTraceSerializer.serializeRequest(spans)!)
    const fromJson = decodeTraceRequest(JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!)))
    expect(fromProto).toEqual(fromJson)
    const chat = fromProto.find((span) => span.name === "chat gpt-4o")!
    const root = fromProto.find((span) => span.name === "workflow demo")!
    expect(chat.parentSpanId).toBe(root.spanId)
    expect(chat.traceId).toBe(spans[0]!.spanContext().traceId)
    expect(chat.status).toBe("error")
    expect(chat.statusMessage).toBe("rate limited")
    expect(chat.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.usage.input_tokens": 1234,
      "gen_ai.usage.cost": 0.0125,
      "gen_ai.response.finish_reasons": ["stop"],
      ok: true,
      empty: ""
    })
    expect(chat.events).toMatchObject([{ name: "retry", attributes: { attempt: 2 } }])
    expect(chat.resource["service.name"]).toBe("proto-test")
    expect(chat.scope).toBe("aixfx-test")
  })

  it("rejects bytes that are not an ExportTraceServiceRequest", () => {
    expect(() => decodeTraceRequestProto(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]))).toThrow(OtlpDecodeError)
  })
})
