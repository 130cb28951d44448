import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { LanguageModel, Telemetry, Usage } from "@aixfx/core"
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS
} from "@opentelemetry/semantic-conventions/incubating"
import { ConfigProvider, Effect, Redacted, Stream } from "effect"
import { type Collector, type ExportedSpan, startCollector } from "./fixtures/telemetryCollector.js"
import { run } from "./fixtures/telemetryRun.js"

/** The run's expected tree, child → parent. */
const EXPECTED_PARENTS: ReadonlyArray<readonly [string, string | undefined]> = [
  ["workflow orders", undefined],
  ["agent.call support", "workflow orders"],
  ["invoke_agent support", "agent.call support"],
  ["pattern.router support", "invoke_agent support"],
  ["step support.answer", "pattern.router support"],
  ["agent.call writer", "step support.answer"],
  ["invoke_agent writer", "agent.call writer"],
  ["chat acme-1", "invoke_agent writer"],
  ["execute_tool lookup_order", "invoke_agent writer"]
]

interface SpanLike {
  readonly name: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly attributes: Readonly<Record<string, unknown>>
}

const fromReadable = (s: Telemetry.ReadableSpan): SpanLike => ({
  name: s.name,
  spanId: s.spanContext().spanId,
  parentSpanId: s.parentSpanContext?.spanId,
  attributes: s.attributes
})

/** Checks names, parents and the attributes every exporter must carry. */
const assertRunTree = (spans: ReadonlyArray<SpanLike>) => {
  const names = spans.map((s) => s.name)
  assert.strictEqual(spans.length, 10, `spans: ${names.join(", ")}`)
  const byName = (name: string) => {
    const span = spans.find((s) => s.name === name)
    assert.isDefined(span, `span "${name}" in ${names.join(", ")}`)
    return span!
  }
  for (const [child, parent] of EXPECTED_PARENTS) {
    const parentId = parent === undefined ? undefined : byName(parent).spanId
    for (const span of spans.filter((s) => s.name === child)) assert.strictEqual(span.parentSpanId, parentId, `parent of ${child}`)
  }
  assert.strictEqual(spans.filter((s) => s.name === "chat acme-1").length, 2)
  for (const span of spans) {
    assert.strictEqual(span.attributes["session.id"], "s-42", `session.id on ${span.name}`)
    assert.strictEqual(span.attributes["user.id"], "u-7", `user.id on ${span.name}`)
    assert.strictEqual(span.attributes["langfuse.session.id"], "s-42", `langfuse.session.id on ${span.name}`)
    assert.strictEqual(span.attributes["langfuse.user.id"], "u-7", `langfuse.user.id on ${span.name}`)
  }
  assert.strictEqual(byName("workflow orders").attributes["gen_ai.operation.name"], "invoke_workflow")
  assert.strictEqual(byName("invoke_agent writer").attributes["gen_ai.agent.name"], "writer")
  assert.strictEqual(byName("execute_tool lookup_order").attributes["gen_ai.operation.name"], "execute_tool")
  const answer = spans.find((s) => s.name === "chat acme-1" && s.attributes["gen_ai.usage.input_tokens"] === 120)
  assert.isDefined(answer, "the second chat span carries its own usage")
  assert.strictEqual(answer!.attributes["gen_ai.request.model"], "acme-1")
  assert.strictEqual(answer!.attributes["gen_ai.usage.output_tokens"], 8)
  assert.closeTo(answer!.attributes["gen_ai.usage.cost"] as number, 120e-6 + 16e-6, 1e-12)
  // Langfuse adds the details up: the 100 cached prompt tokens are not counted again in `input`.
  assert.deepStrictEqual(JSON.parse(answer!.attributes["langfuse.observation.usage_details"] as string), { input: 20, input_cached_tokens: 100, output: 8, total: 128 })
  assert.strictEqual(answer!.attributes["langfuse.observation.type"], "generation")
  assert.strictEqual(byName("workflow orders").attributes["langfuse.trace.name"], "orders")
  // The GenAI semantic conventions of the installed version, to the letter.
  assert.deepStrictEqual(answer!.attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS], ["stop"], "a string array, not its JSON")
  assert.strictEqual(answer!.attributes[ATTR_GEN_AI_RESPONSE_ID], "resp-2")
  assert.strictEqual(answer!.attributes[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS], 100)
  assert.strictEqual(answer!.attributes[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS], 0)
  assert.strictEqual(answer!.attributes[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS], 0)
}

/** No attribute of any span mentions `text`. */
const assertNowhere = (spans: ReadonlyArray<SpanLike>, text: string) => {
  for (const span of spans) {
    for (const [key, value] of Object.entries(span.attributes)) assert.notInclude(String(value), text, `${span.name} ${key}`)
  }
}

describe("Telemetry: the span tree of a run", () => {
  it.effect("workflow → pattern → step → agent → chat / execute_tool, with session and user on every span; no content by default", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      const reply = yield* run()
      assert.strictEqual(reply.payload, "Order A-1 ships on Tuesday.")
      const spans = exporter.getFinishedSpans().map(fromReadable)
      assertRunTree(spans)
      assertNowhere(spans, "pineapple")
      for (const span of spans) assert.notProperty(span.attributes, "gen_ai.input.messages")
    }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })

  it.effect("content capture, when on, records prompts and answers truncated, without API keys or Redacted values", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    const apiKey = "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789"
    return Effect.gen(function* () {
      yield* run(undefined, `Use key ${apiKey} to check. ${"Long details. ".repeat(20)}`)
      yield* Effect.annotateCurrentSpan("aixfx.config.key", Redacted.make("hunter2-very-secret")).pipe(Effect.withSpan("configured"))
      const spans = exporter.getFinishedSpans().map(fromReadable)
      const chats = spans.filter((s) => s.name === "chat acme-1")
      const input = JSON.parse(chats[0]!.attributes["gen_ai.input.messages"] as string) as Array<{ role: string; parts: Array<{ content?: string }> }>
      assert.deepStrictEqual(input.map((m) => m.role), ["system", "user"])
      const user = input[1]!.parts[0]!.content!
      assert.match(user, /^Use key \[redacted\] to check\. Long /)
      assert.match(user, /…\[truncated \d+ chars\]$/)
      assert.isAtMost(user.length, 64 + "…[truncated 999 chars]".length)
      const output = JSON.parse(chats.find((c) => c.attributes["gen_ai.usage.input_tokens"] === 120)!.attributes["gen_ai.output.messages"] as string)
      assert.deepStrictEqual(output, [{ role: "assistant", parts: [{ type: "text", content: "Order A-1 ships on Tuesday." }], finish_reason: "stop" }])
      assertNowhere(spans, apiKey.slice(3))
      assertNowhere(spans, "hunter2")
    }).pipe(Effect.provide(Telemetry.layer({ memory: exporter, captureContent: { maxLength: 64 } })))
  })

  it.effect("a streamed call's span gets its usage when the stream ends, and its whole answer when capture is on", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    const streaming = LanguageModel.make({
      provider: "acme",
      defaultModel: "acme-1",
      generate: () => Effect.die("not used"),
      stream: (request) =>
        Stream.fromIterable<LanguageModel.StreamPart>([
          { _tag: "TextDelta", text: "Hel" },
          { _tag: "TextDelta", text: "lo" },
          { _tag: "Finish", finishReason: "stop", provider: "acme", model: request.model, usage: Usage.make({ inputTokens: 3, outputTokens: 2 }) }
        ])
    })
    return Effect.gen(function* () {
      yield* Stream.runDrain(LanguageModel.stream({ messages: [{ role: "user", content: "Say hello" }] }))
      const chat = exporter.getFinishedSpans().find((s) => s.name === "chat acme-1")!
      assert.deepStrictEqual(JSON.parse(chat.attributes["gen_ai.output.messages"] as string), [
        { role: "assistant", parts: [{ type: "text", content: "Hello" }], finish_reason: "stop" }
      ])
      assert.include(chat.attributes["gen_ai.input.messages"] as string, "Say hello")
      assert.strictEqual(chat.attributes["gen_ai.usage.output_tokens"], 2)
    }).pipe(Effect.provideService(LanguageModel.LanguageModel, streaming), Effect.provide(Telemetry.layer({ memory: exporter, captureContent: true })))
  })

  it.effect("the environment turns content capture on and names a half Langfuse key pair as the mistake", () =>
    Effect.gen(function* () {
      const env = (map: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(map))))
      const on = yield* Telemetry.optionsFromEnv.pipe(env({ AIXFX_CAPTURE_CONTENT: "1", AIXFX_CAPTURE_MAX_LENGTH: "100" }))
      assert.deepStrictEqual(on.captureContent, { enabled: true, maxLength: 100 })
      assert.isUndefined(on.otlp)
      assert.isUndefined(on.langfuse)
      const off = yield* Telemetry.optionsFromEnv.pipe(env({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318/", LANGFUSE_PUBLIC_KEY: "pk", LANGFUSE_SECRET_KEY: "sk" }))
      assert.deepStrictEqual(off.captureContent, { enabled: false, maxLength: 4096 })
      assert.strictEqual(off.otlp?.url, "http://127.0.0.1:4318/v1/traces")
      assert.strictEqual(off.otlp?.metricsUrl, "http://127.0.0.1:4318/v1/metrics")
      assert.isTrue(Redacted.isRedacted(off.langfuse?.secretKey))
      const half = yield* Effect.flip(Telemetry.optionsFromEnv.pipe(env({ LANGFUSE_PUBLIC_KEY: "pk" })))
      assert.include(String(half), "LANGFUSE_SECRET_KEY")
    }))
})

const LANGFUSE_PATH = "/api/public/otel/v1/traces"

const toSpanLike = (s: ExportedSpan): SpanLike => ({ name: s.name, spanId: s.spanId, parentSpanId: s.parentSpanId, attributes: s.attributes })

const assertLangfuseRun = (langfuse: Collector, publicKey: string, secretKey: string) => {
  const posts = langfuse.requests.filter((r) => r.path === LANGFUSE_PATH)
  assert.isAbove(posts.length, 0, `requests: ${langfuse.requests.map((r) => `${r.method} ${r.path}`).join(", ")}`)
  for (const post of posts) {
    assert.strictEqual(post.method, "POST")
    assert.strictEqual(post.headers.authorization, `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString("base64")}`)
  }
  const spans = langfuse.spans(LANGFUSE_PATH).map(toSpanLike)
  // The orchestration spans reach Langfuse too (its default filter would drop them), so the tree is whole.
  assertRunTree(spans)
  const agent = spans.find((s) => s.name === "invoke_agent writer")!
  const generations = spans.filter((s) => s.attributes["gen_ai.operation.name"] === "chat")
  assert.strictEqual(generations.length, 2)
  for (const generation of generations) {
    assert.strictEqual(generation.parentSpanId, agent.spanId, "the generation hangs under its agent")
    assert.strictEqual(generation.attributes["gen_ai.response.model"], "acme-1")
    assert.isNumber(generation.attributes["gen_ai.usage.cost"])
    assert.isString(generation.attributes["langfuse.observation.cost_details"])
  }
  for (const request of langfuse.requests) assert.notInclude(request.body, secretKey)
}

describe("Telemetry: exporters", () => {
  it.scoped("Langfuse (basic auth, generations with usage and cost under their agent) and an OTLP collector (traces and metrics) receive the same run", () =>
    Effect.gen(function* () {
      const langfuse = yield* startCollector
      const otlp = yield* startCollector
      const publicKey = "pk-lf-test-1234"
      const secretKey = "sk-lf-test-5678"
      yield* run().pipe(
        Effect.provide(
          Telemetry.layer({
            serviceName: "orders-service",
            otlp: { url: `${otlp.url}/v1/traces`, metricsUrl: `${otlp.url}/v1/metrics`, headers: { authorization: Redacted.make("Bearer collector-token") } },
            langfuse: { publicKey, secretKey: Redacted.make(secretKey), baseUrl: langfuse.url }
          })
        )
      )
      // The layer has closed: both batch processors have flushed.
      assertLangfuseRun(langfuse, publicKey, secretKey)
      // OTLP bodies are protobuf unless told otherwise (the OTLP specification's default).
      for (const request of otlp.requests) assert.strictEqual(request.headers["content-type"], "application/x-protobuf", request.path)
      const collected = otlp.spans("/v1/traces")
      assertRunTree(collected.map(toSpanLike))
      assert.strictEqual(otlp.requests[0]!.headers.authorization, "Bearer collector-token")
      // Content capture is off by default: the prompt is in no exported span.
      for (const request of [...otlp.requests, ...langfuse.requests]) assert.notInclude(request.body, "pineapple")
      const ids = (spans: ReadonlyArray<ExportedSpan>) => spans.map((s) => s.spanId).sort()
      assert.deepStrictEqual(ids(collected), ids(langfuse.spans(LANGFUSE_PATH)), "the same spans in both")
      assert.strictEqual(new Set(collected.map((s) => s.traceId)).size, 1, "one trace per run")
      // The metric reader exported once more at shutdown (protobuf keeps its strings readable).
      const metrics = otlp.requests.filter((r) => r.path === "/v1/metrics").map((r) => r.body).join("")
      for (const name of ["aixfx.model.calls", "aixfx.model.cost", "gen_ai.client.operation.duration", "aixfx.agent.calls", "aixfx.pattern.runs"]) {
        assert.include(metrics, name)
      }
    }))

  /** One run exported by `layerFromEnv` to a fresh collector, with `env` (plus the endpoint) as the environment. */
  const exportWithEnv = (env: Record<string, string>) =>
    Effect.gen(function* () {
      const collector = yield* startCollector
      const config = ConfigProvider.fromMap(new Map(Object.entries({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url })))
      yield* run().pipe(Effect.provide(Telemetry.layerFromEnv), Effect.withConfigProvider(config))
      const contentTypes = (path: string) => [...new Set(collector.requests.filter((r) => r.path === path).map((r) => r.headers["content-type"]))]
      return { collector, traces: contentTypes("/v1/traces"), metrics: contentTypes("/v1/metrics") }
    })

  it.scoped("OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf when unset, http/json on request; the collector decodes the same run from both", () =>
    Effect.gen(function* () {
      const unset = yield* exportWithEnv({})
      assert.deepStrictEqual(unset.traces, ["application/x-protobuf"])
      assert.deepStrictEqual(unset.metrics, ["application/x-protobuf"])
      assertRunTree(unset.collector.spans("/v1/traces").map(toSpanLike))

      const protobuf = yield* exportWithEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" })
      assert.deepStrictEqual(protobuf.traces, ["application/x-protobuf"])
      assertRunTree(protobuf.collector.spans("/v1/traces").map(toSpanLike))

      const json = yield* exportWithEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })
      assert.deepStrictEqual(json.traces, ["application/json"])
      assert.deepStrictEqual(json.metrics, ["application/json"])
      assertRunTree(json.collector.spans("/v1/traces").map(toSpanLike))
    }), 60_000)

  it.scoped("the signal's own variable (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / _METRICS_PROTOCOL) overrides OTEL_EXPORTER_OTLP_PROTOCOL", () =>
    Effect.gen(function* () {
      const traces = yield* exportWithEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" })
      assert.deepStrictEqual(traces.traces, ["application/x-protobuf"])
      assert.deepStrictEqual(traces.metrics, ["application/json"])
      assertRunTree(traces.collector.spans("/v1/traces").map(toSpanLike))
      const metrics = yield* exportWithEnv({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/json" })
      assert.deepStrictEqual(metrics.traces, ["application/x-protobuf"])
      assert.deepStrictEqual(metrics.metrics, ["application/json"])
    }), 60_000)

  it.effect("a signal's own endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / _METRICS_ENDPOINT) is used as is and wins over the general one, which gets /v1/<signal>", () =>
    Effect.gen(function* () {
      const options = (map: Record<string, string>) => Telemetry.optionsFromEnv.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(map)))))
      const both = yield* options({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:9000/runs/r1/v1/traces",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://127.0.0.1:9001/custom"
      })
      assert.strictEqual(both.otlp?.url, "http://127.0.0.1:9000/runs/r1/v1/traces")
      assert.strictEqual(both.otlp?.metricsUrl, "http://127.0.0.1:9001/custom")
      const tracesOnly = yield* options({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:9000/t" })
      assert.strictEqual(tracesOnly.otlp?.url, "http://127.0.0.1:9000/t")
      assert.isUndefined(tracesOnly.otlp?.metricsUrl)
      const metricsOnly = yield* options({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://127.0.0.1:9001/m" })
      assert.isUndefined(metricsOnly.otlp?.url)
      assert.strictEqual(metricsOnly.otlp?.metricsUrl, "http://127.0.0.1:9001/m")
      const base = yield* options({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318/", OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://127.0.0.1:9001/m" })
      assert.strictEqual(base.otlp?.url, "http://127.0.0.1:4318/v1/traces")
      assert.strictEqual(base.otlp?.metricsUrl, "http://127.0.0.1:9001/m")
      const off = yield* options({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:9000/t", OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "none" })
      assert.isUndefined(off.otlp)
    }))

  it.scoped("the per-signal endpoints reach the collector at exactly those paths", () =>
    Effect.gen(function* () {
      const collector = yield* startCollector
      const config = ConfigProvider.fromMap(new Map(Object.entries({
        OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/base`,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/runs/r1/v1/traces`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${collector.url}/own-metrics`
      })))
      yield* run().pipe(Effect.provide(Telemetry.layerFromEnv), Effect.withConfigProvider(config))
      assert.deepStrictEqual([...new Set(collector.requests.map((r) => r.path))].sort(), ["/own-metrics", "/runs/r1/v1/traces"])
      assertRunTree(collector.spans("/runs/r1/v1/traces").map(toSpanLike))
    }), 60_000)

  it.scoped("metrics only (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT alone): agent and model metrics reach it, no traces are sent", () =>
    Effect.gen(function* () {
      const collector = yield* startCollector
      const config = ConfigProvider.fromMap(new Map(Object.entries({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${collector.url}/m` })))
      yield* run({ support: "metrics-only-support", writer: "metrics-only-writer" }).pipe(Effect.provide(Telemetry.layerFromEnv), Effect.withConfigProvider(config))
      assert.deepStrictEqual([...new Set(collector.requests.map((r) => r.path))], ["/m"])
      const body = collector.requests.map((r) => r.body).join("")
      for (const name of ["aixfx.model.calls", "aixfx.agent.calls"]) assert.include(body, name)
    }), 60_000)

  it.effect("an unknown or gRPC protocol is a ConfigError naming the variable and the value", () =>
    Effect.gen(function* () {
      const failure = (env: Record<string, string>) =>
        Effect.flip(Telemetry.optionsFromEnv.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))).pipe(Effect.map(String))
      const unknown = yield* failure({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "http/xml" })
      assert.include(unknown, "OTEL_EXPORTER_OTLP_PROTOCOL=http/xml: unknown OTLP protocol; use one of http/protobuf, http/json")
      const grpc = yield* failure({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" })
      assert.include(grpc, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc: OTLP over gRPC is not supported")
      const metrics = yield* failure({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "json" })
      assert.include(metrics, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=json")
    }))

  it.effect("metrics: model calls, tokens, cost and latency by agent, model and pattern; agent and pattern runs", () => {
    const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 })
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      // Names of their own: Effect's metric registry is global to the process.
      yield* run({ support: "metrics-support", writer: "metrics-writer" })
      const { resourceMetrics } = yield* Effect.promise(() => reader.collect())
      const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)
      const points = (name: string, agent: string) =>
        metrics
          .filter((m) => m.descriptor.name === name)
          .flatMap((m) => m.dataPoints as ReadonlyArray<{ attributes: Record<string, unknown>; value: unknown }>)
          .filter((p) => p.attributes["gen_ai.agent.name"] === agent || p.attributes["aixfx.pattern.name"] === agent)
      const [calls] = points("aixfx.model.calls", "metrics-writer")
      assert.strictEqual(calls?.value, 2)
      assert.strictEqual(calls?.attributes["gen_ai.response.model"], "acme-1")
      assert.strictEqual(calls?.attributes["aixfx.pattern.path"], "metrics-support")
      const tokens = points("aixfx.model.tokens", "metrics-writer")
      assert.deepStrictEqual(tokens.map((p) => [p.attributes["gen_ai.token.type"], p.value]).sort(), [["input", 220], ["output", 18]])
      assert.closeTo(points("aixfx.model.cost", "metrics-writer")[0]?.value as number, 220e-6 + 36e-6, 1e-12)
      assert.strictEqual((points("gen_ai.client.operation.duration", "metrics-writer")[0]?.value as { count: number }).count, 2)
      assert.strictEqual(points("aixfx.agent.calls", "metrics-writer")[0]?.value, 1)
      assert.strictEqual(points("aixfx.pattern.runs", "metrics-support")[0]?.value, 1)
      assert.strictEqual((points("aixfx.pattern.duration", "metrics-support")[0]?.value as { count: number }).count, 1)
    }).pipe(Effect.provide(Telemetry.layer({ memory: exporter, metricReaders: [reader] })))
  })
})

describe("Telemetry: a script that exits right after its run", () => {
  const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))
  const script = fileURLToPath(new URL("./fixtures/telemetryExit.ts", import.meta.url))
  const CALLS = 40

  it.scoped("loses no span: the collector and Langfuse have every span of the run", () =>
    Effect.gen(function* () {
      const otlp = yield* startCollector
      const langfuse = yield* startCollector
      const exit = yield* Effect.async<{ code: number | null; stderr: string }>((resume) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@aixfx/source", script], {
          cwd: repoRoot,
          env: {
            ...process.env,
            CALLS: String(CALLS),
            OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
            OTEL_METRICS_EXPORTER: "none",
            LANGFUSE_PUBLIC_KEY: "pk-lf-exit",
            LANGFUSE_SECRET_KEY: "sk-lf-exit",
            LANGFUSE_BASE_URL: langfuse.url
          },
          stdio: ["ignore", "ignore", "pipe"]
        })
        let stderr = ""
        child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
        child.once("exit", (code) => resume(Effect.succeed({ code, stderr })))
        return Effect.sync(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL")
        })
      }).pipe(Effect.timeoutFail({ duration: "50 seconds", onTimeout: () => new Error("the script did not exit within 50 s") }))
      assert.strictEqual(exit.code, 0, exit.stderr)
      // workflow + per call: agent.call, invoke_agent, chat
      const expected = 1 + 3 * CALLS
      for (const [name, spans] of [["OTLP", otlp.spans("/v1/traces")], ["Langfuse", langfuse.spans(LANGFUSE_PATH)]] as const) {
        assert.strictEqual(spans.length, expected, `${name} received ${spans.length} of ${expected} spans`)
        assert.strictEqual(spans.filter((s) => s.name.startsWith("chat ")).length, CALLS)
        assert.isTrue(spans.every((s) => s.attributes["session.id"] === "exit-session"))
      }
    }), 60_000) // most of it is tsx compiling the child on a busy machine
})
