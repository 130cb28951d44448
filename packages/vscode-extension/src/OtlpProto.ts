/**
 * OTLP/HTTP protobuf bodies. The schema is the subset of opentelemetry-proto (trace/v1, common/v1,
 * resource/v1, collector/trace/v1) the extension reads, written here as a protobufjs JSON
 * descriptor with the official field numbers; field names are the JSON mapping's, so a decoded
 * message has the same shape as an OTLP JSON body and goes through the same decoder.
 */
import protobuf from "protobufjs/light.js"
import { OtlpDecodeError, decodeTraceRequest } from "./OtlpDecode.js"
import type { SpanRecord } from "./Span.js"

const keyValues = (id: number) => ({ rule: "repeated", type: "KeyValue", id })

const descriptor = {
  nested: {
    AnyValue: {
      oneofs: { value: { oneof: ["stringValue", "boolValue", "intValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"] } },
      fields: {
        stringValue: { type: "string", id: 1 },
        boolValue: { type: "bool", id: 2 },
        intValue: { type: "int64", id: 3 },
        doubleValue: { type: "double", id: 4 },
        arrayValue: { type: "ArrayValue", id: 5 },
        kvlistValue: { type: "KeyValueList", id: 6 },
        bytesValue: { type: "bytes", id: 7 }
      }
    },
    ArrayValue: { fields: { values: { rule: "repeated", type: "AnyValue", id: 1 } } },
    KeyValueList: { fields: { values: keyValues(1) } },
    KeyValue: { fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } } },
    InstrumentationScope: { fields: { name: { type: "string", id: 1 }, version: { type: "string", id: 2 }, attributes: keyValues(3) } },
    Resource: { fields: { attributes: keyValues(1) } },
    ExportTraceServiceRequest: { fields: { resourceSpans: { rule: "repeated", type: "ResourceSpans", id: 1 } } },
    ResourceSpans: {
      fields: {
        resource: { type: "Resource", id: 1 },
        scopeSpans: { rule: "repeated", type: "ScopeSpans", id: 2 },
        schemaUrl: { type: "string", id: 3 }
      }
    },
    ScopeSpans: {
      fields: {
        scope: { type: "InstrumentationScope", id: 1 },
        spans: { rule: "repeated", type: "Span", id: 2 },
        schemaUrl: { type: "string", id: 3 }
      }
    },
    Span: {
      fields: {
        traceId: { type: "bytes", id: 1 },
        spanId: { type: "bytes", id: 2 },
        traceState: { type: "string", id: 3 },
        parentSpanId: { type: "bytes", id: 4 },
        flags: { type: "fixed32", id: 16 },
        name: { type: "string", id: 5 },
        kind: { type: "int32", id: 6 },
        startTimeUnixNano: { type: "fixed64", id: 7 },
        endTimeUnixNano: { type: "fixed64", id: 8 },
        attributes: keyValues(9),
        events: { rule: "repeated", type: "Event", id: 11 },
        status: { type: "Status", id: 15 }
      }
    },
    Event: { fields: { timeUnixNano: { type: "fixed64", id: 1 }, name: { type: "string", id: 2 }, attributes: keyValues(3) } },
    Status: { fields: { message: { type: "string", id: 2 }, code: { type: "int32", id: 3 } } }
  }
}

const ExportTraceServiceRequest = protobuf.Root.fromJSON(descriptor).lookupType("ExportTraceServiceRequest")

export const decodeTraceRequestProto = (body: Uint8Array): ReadonlyArray<SpanRecord> => {
  let message: protobuf.Message
  try {
    message = ExportTraceServiceRequest.decode(body)
  } catch (error) {
    throw new OtlpDecodeError(`not an OTLP protobuf ExportTraceServiceRequest: ${error instanceof Error ? error.message : String(error)}`)
  }
  // longs as decimal strings and bytes as base64: exactly what the JSON decoder accepts.
  return decodeTraceRequest(ExportTraceServiceRequest.toObject(message, { longs: String, bytes: String, enums: Number }))
}
