import { assert, describe, it } from "@effect/vitest"
import {
  Agent,
  AgentRuntime,
  CallContext,
  CostLedger,
  LanguageModel,
  LocalHeuristicModel,
  LocalRuntime,
  Message,
  Pricing,
  RateLimited,
  Telemetry,
  Usage,
  Workflow
} from "@aixfx/core"
import { Chunk, Effect, Layer, Schema, Stream } from "effect"

const fixed = (text: string, usage = Usage.make({ inputTokens: 100, outputTokens: 20 })) =>
  LanguageModel.make({
    provider: "acme",
    defaultModel: "acme-1",
    generate: (request) => Effect.succeed({ text, toolCalls: [], finishReason: "stop", provider: "acme", model: request.model, usage })
  })

const pricing = Layer.succeed(Pricing.Pricing, {
  price: (_provider, model, usage) => (model === "acme-1" ? usage.inputTokens * 1e-6 + usage.outputTokens * 2e-6 : null)
})

describe("LanguageModel.make", () => {
  it.effect("records usage and cost in the ledger, attributed to the agent and pattern path", () =>
    Effect.gen(function* () {
      yield* LanguageModel.generate({ messages: [{ role: "user", content: "hi" }] }).pipe(
        CallContext.withAgent("writer"),
        // pipe wraps from the inside out: "inner" runs inside "outer"
        CallContext.withPattern("inner"),
        CallContext.withPattern("outer"),
        CallContext.withRun("run-1")
      )
      yield* LanguageModel.generate({ messages: [{ role: "user", content: "hi" }], model: "acme-unknown" })
      const entries = yield* CostLedger.entries
      assert.strictEqual(entries.length, 2)
      const [first, second] = entries
      assert.strictEqual(first!.agent, "writer")
      assert.deepStrictEqual(first!.patternPath, ["outer", "inner"])
      assert.strictEqual(first!.runId, "run-1")
      assert.closeTo(first!.costUsd!, 100e-6 + 40e-6, 1e-12)
      assert.isNull(second!.costUsd, "an unknown price is null, never $0")
      const totals = CostLedger.totals(entries)
      assert.strictEqual(totals.calls, 2)
      assert.strictEqual(totals.unpricedCalls, 1)
      assert.strictEqual(totals.usage.inputTokens, 200)
    }).pipe(Effect.provide(Layer.mergeAll(Layer.succeed(LanguageModel.LanguageModel, fixed("ok")), CostLedger.layer, pricing))))

  it.effect("records a failed call too: its error, no usage, attributed like any other", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(LanguageModel.generate({ messages: [{ role: "user", content: "hi" }] }).pipe(CallContext.withAgent("writer")))
      assert.strictEqual(error._tag, "RateLimited")
      const entries = yield* CostLedger.entries
      assert.strictEqual(entries.length, 1)
      assert.strictEqual(entries[0]!.error, "RateLimited")
      assert.strictEqual(entries[0]!.agent, "writer")
      assert.strictEqual(entries[0]!.model, "acme-unknown")
      assert.strictEqual(entries[0]!.costUsd, 0)
      assert.deepStrictEqual(entries[0]!.usage, Usage.empty)
      const totals = CostLedger.totals(entries)
      assert.strictEqual(totals.calls, 1)
      assert.strictEqual(totals.errors, 1)
      assert.strictEqual(totals.costUsd, 0)
      assert.strictEqual(totals.unpricedCalls, 0, "a call that used nothing cost $0, priced or not")
    }).pipe(
      Effect.provide(Layer.mergeAll(
        Layer.succeed(
          LanguageModel.LanguageModel,
          LanguageModel.make({
            provider: "acme",
            // A model the pricing does not know: a failure that used nothing is $0 all the same.
            defaultModel: "acme-unknown",
            generate: () => Effect.fail(new RateLimited({ provider: "acme", message: "acme: rate limited (429)" }))
          })
        ),
        CostLedger.layer,
        pricing
      ))
    ))

  it.effect("streams parts ending with usage, and records the stream's usage", () =>
    Effect.gen(function* () {
      const parts = yield* Stream.runCollect(LanguageModel.stream({ messages: [{ role: "user", content: "hi" }] }))
      const tags = Chunk.toReadonlyArray(parts).map((p) => p._tag)
      assert.deepStrictEqual(tags, ["TextDelta", "Finish"])
      const entries = yield* CostLedger.entries
      assert.strictEqual(entries.length, 1)
      assert.strictEqual(entries[0]!.usage.outputTokens, 20)
    }).pipe(Effect.provide(Layer.mergeAll(Layer.succeed(LanguageModel.LanguageModel, fixed("ok")), CostLedger.layer, pricing))))

  it.effect("generateObject decodes structured output, and fails with MalformedOutput otherwise", () =>
    Effect.gen(function* () {
      const Answer = Schema.Struct({ n: Schema.Number })
      const ok = yield* LanguageModel.generateObject({ messages: [] }, Answer).pipe(
        Effect.provideService(LanguageModel.LanguageModel, fixed(`{"n":3}`))
      )
      assert.strictEqual(ok.value.n, 3)
      const bad = yield* Effect.flip(
        LanguageModel.generateObject({ messages: [] }, Answer).pipe(Effect.provideService(LanguageModel.LanguageModel, fixed(`{"n":"x"}`)))
      )
      assert.strictEqual(bad._tag, "MalformedOutput")
    }))
})

describe("spans", () => {
  it.effect("workflow → agent.call → invoke_agent → chat, with GenAI attributes", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    const writer = Agent.llm({ name: "writer", instructions: "Answer briefly." })
    return Effect.gen(function* () {
      yield* AgentRuntime.register(writer)
      yield* AgentRuntime.call("writer", Message.make("What is aixfx? aixfx is a framework. It orchestrates agents.")).pipe(
        Workflow.run("demo", { sessionId: "s-1" })
      )
      const spans = exporter.getFinishedSpans()
      const byName = (name: string) => {
        const span = spans.find((s) => s.name === name)
        assert.isDefined(span, `span ${name} in ${spans.map((s) => s.name).join(", ")}`)
        return span!
      }
      const root = byName("workflow demo")
      const call = byName("agent.call writer")
      const invoke = byName("invoke_agent writer")
      const chat = byName(`chat ${LocalHeuristicModel.MODEL}`)
      assert.strictEqual(call.parentSpanContext?.spanId, root.spanContext().spanId)
      assert.strictEqual(invoke.parentSpanContext?.spanId, call.spanContext().spanId)
      assert.strictEqual(chat.parentSpanContext?.spanId, invoke.spanContext().spanId)
      assert.strictEqual(call.attributes["gen_ai.operation.name"], "invoke_agent")
      assert.strictEqual(call.attributes["gen_ai.agent.name"], "writer")
      assert.strictEqual(call.attributes["aixfx.runtime.kind"], "local")
      assert.strictEqual(chat.attributes["gen_ai.operation.name"], "chat")
      assert.strictEqual(chat.attributes["gen_ai.usage.cost"], 0)
      assert.isAbove(chat.attributes["gen_ai.usage.input_tokens"] as number, 5)
      assert.strictEqual(root.attributes["session.id"], "s-1")
    }).pipe(
      Effect.provide(LocalRuntime.layer()),
      Effect.provide(LocalHeuristicModel.layer()),
      Effect.provide(Telemetry.layerMemory(exporter))
    )
  })
})

describe("without a tracer", () => {
  it.effect("a model call makes no chat span and annotates no span of the caller's, but is still recorded", () =>
    Effect.gen(function* () {
      const model = yield* LanguageModel.LanguageModel
      const caller = yield* Effect.gen(function* () {
        yield* model.generate({ messages: [{ role: "user", content: "hi" }] })
        return yield* Effect.currentSpan
      }).pipe(Effect.withSpan("caller"))
      assert.strictEqual(caller.name, "caller")
      assert.deepStrictEqual([...caller.attributes.keys()], [])
      assert.strictEqual((yield* CostLedger.entries).length, 1)
    }).pipe(Effect.provide(Layer.merge(LocalHeuristicModel.layer(), CostLedger.layer))))
})

describe("span parents", () => {
  it.effect("an agent registered inside one span runs under each caller's span", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      yield* AgentRuntime.register(Agent.fromFunction("echo", (m) => m)).pipe(Effect.withSpan("setup"))
      yield* AgentRuntime.call("echo", Message.make("x")).pipe(Effect.withSpan("caller"))
      const spans = exporter.getFinishedSpans()
      const caller = spans.find((s) => s.name === "caller")!
      const call = spans.find((s) => s.name === "agent.call echo")!
      const invoke = spans.find((s) => s.name === "invoke_agent echo")!
      assert.strictEqual(call.parentSpanContext?.spanId, caller.spanContext().spanId)
      assert.strictEqual(invoke.parentSpanContext?.spanId, call.spanContext().spanId)
    }).pipe(Effect.provide(LocalRuntime.layer()), Effect.provide(Telemetry.layerMemory(exporter)))
  })
})

describe("CostLedger.tree", () => {
  it("nests run → pattern → agent → model; a run is named by its workflow and the start of its id", () => {
    const entry = (agent: string, patternPath: ReadonlyArray<string>, costUsd: number | null): CostLedger.Entry => ({
      runId: "1a2b3c4d-0000-4000-8000-000000000000",
      workflow: "nightly",
      agent,
      patternPath,
      provider: "p",
      model: "m",
      usage: Usage.make({ inputTokens: 10, outputTokens: 1 }),
      costUsd,
      durationMs: 5,
      timestamp: 0
    })
    const tree = CostLedger.tree([entry("a", ["router"], 0.5), entry("b", ["router", "team"], 0.25), entry("c", [], null)])
    assert.strictEqual(tree.length, 1)
    const run = tree[0]!
    assert.strictEqual(run.name, "nightly (1a2b3c4d)")
    assert.strictEqual(run.totals.costUsd, 0.75)
    assert.strictEqual(run.totals.unpricedCalls, 1)
    assert.deepStrictEqual(run.children.map((c) => `${c.kind}:${c.name}`), ["pattern:router", "agent:c"])
    const router = run.children[0]!
    assert.deepStrictEqual(router.children.map((c) => `${c.kind}:${c.name}`), ["pattern:team", "agent:a"])
    assert.strictEqual(router.children[0]!.children[0]!.children[0]!.kind, "model")
  })

  it("names a run by a chosen id whole, and calls outside any run as (no run)", () => {
    const entry = (runId: string | undefined, workflow: string | undefined): CostLedger.Entry => ({
      runId,
      workflow,
      agent: "a",
      patternPath: [],
      provider: "p",
      model: "m",
      usage: Usage.empty,
      costUsd: 0,
      durationMs: 1,
      timestamp: 0
    })
    const names = CostLedger.tree([entry("nightly-2024-06-01", "nightly"), entry("nightly-2024-06-02", "nightly"), entry("adhoc", undefined), entry(undefined, undefined)])
      .map((run) => run.name)
    assert.deepStrictEqual(names, ["nightly (nightly-2024-06-01)", "nightly (nightly-2024-06-02)", "adhoc", "(no run)"])
  })
})
