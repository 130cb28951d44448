import { assert, describe, it } from "@effect/vitest"
import { CallContext, Telemetry, TraceContext } from "@aixfx/core"
import { Effect, Option } from "effect"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const SPAN_ID = "00f067aa0ba902b7"

describe("TraceContext", () => {
  it.effect("a server span continues the client's trace through the headers, with its call context and session", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      // The client side: a span inside a run, a pattern and a session.
      const headers = yield* TraceContext.inject.pipe(
        Effect.withSpan("client"),
        CallContext.withAgent("planner"),
        CallContext.withPattern("team a"),
        CallContext.withPattern("router,1"),
        CallContext.withRun("run-7", "nightly digest ✓"),
        TraceContext.withSession({ sessionId: "s-1", userId: "u-1" })
      )
      assert.match(headers[TraceContext.TRACEPARENT]!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      assert.strictEqual(headers[TraceContext.RUN_ID], "run-7")
      assert.strictEqual(headers[TraceContext.WORKFLOW], "nightly%20digest%20%E2%9C%93")
      assert.strictEqual(headers[TraceContext.PATTERN_PATH], "router%2C1,team%20a")
      // Every value must be printable ASCII to travel as gRPC metadata.
      for (const value of Object.values(headers)) assert.match(value, /^[\x20-\x7e]*$/)

      // The server side: a fresh fiber with no span, adopting the headers.
      const seen = yield* Effect.all({ context: CallContext.get, session: TraceContext.currentSession }).pipe(
        Effect.withSpan("server"),
        TraceContext.withRemoteParent(headers)
      )
      assert.deepStrictEqual(seen.context, { runId: "run-7", workflow: "nightly digest ✓", agent: "planner", patternPath: ["router,1", "team a"] })
      assert.deepStrictEqual(seen.session, { sessionId: "s-1", userId: "u-1" })

      const spans = exporter.getFinishedSpans()
      const client = spans.find((s) => s.name === "client")!
      const server = spans.find((s) => s.name === "server")!
      assert.strictEqual(server.spanContext().traceId, client.spanContext().traceId)
      assert.strictEqual(server.parentSpanContext?.spanId, client.spanContext().spanId)
      assert.isTrue(server.parentSpanContext?.isRemote)
      assert.strictEqual(server.attributes["session.id"], "s-1")
      assert.strictEqual(server.attributes["langfuse.user.id"], "u-1")
    }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })

  it.effect("tracestate and the sampled flag survive a hop; header names are matched case-insensitively", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      const incoming = { Traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: ["vendor=abc,other=1"] }
      const outgoing = yield* TraceContext.traceHeaders.pipe(Effect.withSpan("relay"), TraceContext.withRemoteParent(incoming))
      const relay = exporter.getFinishedSpans().find((s) => s.name === "relay")!
      assert.strictEqual(outgoing[TraceContext.TRACEPARENT], `00-${TRACE_ID}-${relay.spanContext().spanId}-01`)
      assert.strictEqual(outgoing[TraceContext.TRACESTATE], "vendor=abc,other=1")
      assert.strictEqual(relay.parentSpanContext?.spanId, SPAN_ID)
    }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })

  it.effect("a workflow or pattern header that does not URI-decode is taken as it came, not a failed call", () =>
    Effect.gen(function* () {
      const context = yield* CallContext.get.pipe(
        TraceContext.withRemoteParent({ [TraceContext.RUN_ID]: "r", [TraceContext.WORKFLOW]: "%E0%A4%A", [TraceContext.PATTERN_PATH]: "ok%20one,%zz" })
      )
      assert.deepStrictEqual(context, { runId: "r", workflow: "%E0%A4%A", agent: undefined, patternPath: ["ok one", "%zz"] })
    }))

  it("extract ignores missing and malformed traceparent headers", () => {
    assert.isTrue(Option.isNone(TraceContext.extract({})))
    assert.isTrue(Option.isNone(TraceContext.extract({ traceparent: "00-xyz-123-01" })))
    assert.isTrue(Option.isNone(TraceContext.extract({ traceparent: `00-${"0".repeat(32)}-${SPAN_ID}-01` })))
    const parsed = TraceContext.extract({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-00` })
    assert.isTrue(Option.isSome(parsed))
    assert.strictEqual(Option.getOrThrow(parsed).traceId, TRACE_ID)
    assert.isFalse(Option.getOrThrow(parsed).sampled)
  })

  it.effect("outside any span there are no trace headers, and a call without headers starts a new trace", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      assert.deepStrictEqual(yield* TraceContext.traceHeaders, {})
      assert.deepStrictEqual(yield* TraceContext.inject, {})
      const context = yield* CallContext.get.pipe(Effect.withSpan("orphan"), TraceContext.withRemoteParent({}))
      assert.deepStrictEqual(context, CallContext.empty)
      const orphan = exporter.getFinishedSpans().find((s) => s.name === "orphan")!
      assert.isUndefined(orphan.parentSpanContext)
    }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })
})
