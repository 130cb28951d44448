import { assert, describe, it } from "@effect/vitest"
import { Telemetry } from "@aixfx/core"
import { ConfigProvider, Effect, Layer } from "effect"
import { startCollector } from "./fixtures/telemetryCollector.js"

describe("Telemetry span starts (AIXFX_SPAN_STARTS_URL)", () => {
  it.scopedLive("posts each span as it starts, with no end time, while the span is still running", () =>
    Effect.gen(function* () {
      const collector = yield* startCollector
      const exporter = new Telemetry.InMemorySpanExporter()
      const url = `${collector.url}/runs/live/v1/traces`
      const startsWhileRunning = yield* Effect.gen(function* () {
        // Wait (bounded) until the start of the inner span has been posted; the span is still open.
        for (let i = 0; i < 100; i++) {
          if (collector.spans("/runs/live/v1/traces").some((span) => span.name === "inner step")) break
          yield* Effect.sleep("20 millis")
        }
        return collector.requests.filter((request) => request.path === "/runs/live/v1/traces").map((request) => request.body)
      }).pipe(
        Effect.withSpan("inner step", { attributes: { "aixfx.step.name": "inner" } }),
        Effect.withSpan("workflow live"),
        Effect.provide(Layer.fresh(Telemetry.layer({ memory: exporter, spanStartsUrl: url })))
      )
      const posted = startsWhileRunning.join("\n")
      assert.include(posted, "\"name\":\"workflow live\"")
      assert.include(posted, "\"name\":\"inner step\"")
      assert.include(posted, "\"endTimeUnixNano\":\"0\"")
      assert.include(posted, "aixfx.step.name")
      const inner = collector.spans("/runs/live/v1/traces").find((span) => span.name === "inner step")!
      const outer = collector.spans("/runs/live/v1/traces").find((span) => span.name === "workflow live")!
      assert.strictEqual(inner.parentSpanId, outer.spanId)
    })
  )

  it.effect("reads the URL from AIXFX_SPAN_STARTS_URL", () =>
    Effect.gen(function* () {
      const options = yield* Telemetry.optionsFromEnv.pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["AIXFX_SPAN_STARTS_URL", "http://127.0.0.1:9/v1/traces"]])))
      )
      assert.strictEqual(options.spanStartsUrl, "http://127.0.0.1:9/v1/traces")
    })
  )
})
