// A stand-in aixfx workflow with no dependencies: a Router picks the billing agent, which calls a
// model and a tool. It sends its spans as OTLP/HTTP JSON (docs/telemetry-conventions.md names and
// attributes) to OTEL_EXPORTER_OTLP_ENDPOINT, in two batches, children before their parents, the
// way a batching exporter does.
import { randomBytes } from "node:crypto"
import { setTimeout as sleep } from "node:timers/promises"

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined
const capture = process.env.AIXFX_CAPTURE_CONTENT === "1"
const traceId = randomBytes(16).toString("hex")
const id = () => randomBytes(8).toString("hex")
const nanos = (ms) => String(BigInt(Math.round(ms * 1000)) * 1000n)
const value = (v) => (typeof v === "string" ? { stringValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v })
const attributes = (record) => Object.entries(record).map(([key, v]) => ({ key, value: value(v) }))

const span = (name, parent, start, end, attrs) => ({
  traceId,
  spanId: id(),
  ...(parent === undefined ? {} : { parentSpanId: parent.spanId }),
  name,
  kind: 1,
  startTimeUnixNano: nanos(start),
  endTimeUnixNano: nanos(end),
  attributes: attributes(attrs),
  status: { code: 1 }
})

const send = async (spans) => {
  if (endpoint === undefined) return
  const response = await fetch(`${endpoint.replace(/\/$/, "")}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      resourceSpans: [{ resource: { attributes: attributes({ "service.name": "support-desk" }) }, scopeSpans: [{ scope: { name: "aixfx-demo" }, spans }] }]
    })
  })
  if (!response.ok) throw new Error(`exporter got HTTP ${response.status}`)
}

const chat = (parent, model, start, end, input, output, cost, prompt, answer) =>
  span(`chat ${model}`, parent, start, end, {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": model,
    "gen_ai.response.model": model,
    "gen_ai.usage.input_tokens": input,
    "gen_ai.usage.output_tokens": output,
    "gen_ai.usage.cost": cost,
    ...(capture
      ? { "gen_ai.input.messages": JSON.stringify([{ role: "user", content: prompt }]), "gen_ai.output.messages": JSON.stringify([{ role: "assistant", content: answer }]) }
      : {})
  })

const t0 = Date.now()
console.log(`support-desk: trace ${traceId}${endpoint === undefined ? " (OTEL_EXPORTER_OTLP_ENDPOINT not set, spans not exported)" : ` → ${endpoint}`}`)
const workflow = { spanId: id() }
const router = { spanId: id() }
const classify = span("step router.classify", router, t0 + 5, t0 + 260, { "aixfx.step.name": "classify", "aixfx.pattern.name": "triage" })
const classifier = chat(classify, "gpt-4o-mini", t0 + 10, t0 + 250, 120, 8, 0.000024, "Why was I charged twice?", "billing")
await sleep(300)
console.log("router chose: billing")
const route = span("step router.route", router, t0 + 270, t0 + 900, { "aixfx.step.name": "route", "aixfx.pattern.name": "triage" })
const call = span("agent.call billing", route, t0 + 275, t0 + 895, { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "billing", "aixfx.runtime.kind": "local" })
const agent = span("invoke_agent billing", call, t0 + 280, t0 + 890, {
  "gen_ai.operation.name": "invoke_agent",
  "gen_ai.agent.name": "billing",
  "aixfx.agent.role": "answers billing questions"
})
const tool = span("execute_tool lookup_invoice", agent, t0 + 290, t0 + 340, { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_invoice" })
const answer = chat(agent, "gpt-4o", t0 + 350, t0 + 880, 640, 180, 0.0034, "Invoice 1042 shows two charges. Why?", "The first charge was a card authorisation that has been released.")
await send([classifier, classify])
await sleep(600)
console.log("billing agent answered")
const routerSpan = {
  ...span("pattern.router triage", workflow, t0 + 2, t0 + 905, {
    "aixfx.pattern.kind": "router",
    "aixfx.pattern.name": "triage",
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": "triage",
    "aixfx.router.route": "billing"
  }),
  spanId: router.spanId
}
const workflowSpan = {
  ...span("workflow support-desk", undefined, t0, t0 + 910, { "gen_ai.operation.name": "invoke_workflow", "aixfx.workflow.name": "support-desk", "session.id": "e2e" }),
  spanId: workflow.spanId
}
await send([tool, answer, agent, call, route, routerSpan, workflowSpan])
console.log("done: 2 model calls, $0.003424")
