/** OTLP JSON bodies shaped like aixfx's telemetry (docs/telemetry-conventions.md), for the unit tests. */

export const TRACE_A = "0af7651916cd43dd8448eb211c80319c"
export const TRACE_B = "1bf7651916cd43dd8448eb211c80319d"

type Attr = { key: string; value: Record<string, unknown> }
const s = (key: string, value: string): Attr => ({ key, value: { stringValue: value } })
const i = (key: string, value: number): Attr => ({ key, value: { intValue: String(value) } })
const d = (key: string, value: number): Attr => ({ key, value: { doubleValue: value } })

const BASE_NS = 1_700_000_000_000_000_000n
const ns = (ms: number): string => String(BASE_NS + BigInt(Math.round(ms * 1e6)))

export interface FixtureSpan {
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly startMs: number
  readonly endMs: number
  readonly attributes: ReadonlyArray<Attr>
  readonly error?: boolean
}

export const routerRun: ReadonlyArray<FixtureSpan> = [
  { spanId: "a000000000000001", name: "workflow support", startMs: 0, endMs: 900, attributes: [s("gen_ai.operation.name", "invoke_workflow"), s("aixfx.workflow.name", "support")] },
  {
    spanId: "a000000000000002",
    parentSpanId: "a000000000000001",
    name: "pattern.router triage",
    startMs: 10,
    endMs: 880,
    attributes: [s("aixfx.pattern.kind", "router"), s("aixfx.pattern.name", "triage"), s("gen_ai.operation.name", "invoke_agent"), s("gen_ai.agent.name", "triage"), s("aixfx.router.route", "billing")]
  },
  {
    spanId: "a000000000000003",
    parentSpanId: "a000000000000002",
    name: "chat gpt-4o-mini",
    startMs: 20,
    endMs: 220,
    attributes: [s("gen_ai.operation.name", "chat"), s("gen_ai.request.model", "gpt-4o-mini"), i("gen_ai.usage.input_tokens", 100), i("gen_ai.usage.output_tokens", 10), d("gen_ai.usage.cost", 0.0001)]
  },
  {
    spanId: "a000000000000004",
    parentSpanId: "a000000000000002",
    name: "invoke_agent billing",
    startMs: 230,
    endMs: 870,
    attributes: [s("gen_ai.operation.name", "invoke_agent"), s("gen_ai.agent.name", "billing"), s("aixfx.agent.role", "answers billing questions")]
  },
  {
    spanId: "a000000000000005",
    parentSpanId: "a000000000000004",
    name: "chat gpt-4o",
    startMs: 240,
    endMs: 860,
    attributes: [
      s("gen_ai.operation.name", "chat"),
      s("gen_ai.request.model", "gpt-4o"),
      i("gen_ai.usage.input_tokens", 400),
      i("gen_ai.usage.output_tokens", 200),
      d("gen_ai.usage.cost", 0.003),
      s("gen_ai.input.messages", '[{"role":"user","content":"Why was I charged twice?"}]'),
      s("gen_ai.output.messages", '[{"role":"assistant","content":"A duplicate authorisation."}]')
    ]
  }
]

export const otlpJson = (traceId: string, spans: ReadonlyArray<FixtureSpan>, service = "demo") => ({
  resourceSpans: [
    {
      resource: { attributes: [s("service.name", service)] },
      scopeSpans: [
        {
          scope: { name: "aixfx" },
          spans: spans.map((span) => ({
            traceId,
            spanId: span.spanId,
            ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
            name: span.name,
            kind: 1,
            startTimeUnixNano: ns(span.startMs),
            endTimeUnixNano: ns(span.endMs),
            // A copy: tests edit the body they get (OtlpDecode's bad-input cases), never the fixture.
            attributes: structuredClone(span.attributes),
            status: span.error === true ? { code: 2, message: "boom" } : {}
          }))
        }
      ]
    }
  ]
})
