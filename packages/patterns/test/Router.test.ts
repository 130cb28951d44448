import { Agent, AgentRuntime, LocalHeuristicModel, LocalRuntime, Message, Telemetry } from "@aixfx/core"
import { Router } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { assertInterruptsSteps, hangingProbe, recording, spanNamed } from "./probes.js"
import { withRuntime } from "./runtime.js"

const traceOf = (m: Message.Message) => Effect.runSync(Router.outcome(m))

/** A classifier that answers `output`, and the billing/tech routes that echo what they received. */
const desk = (output: string) =>
  Effect.gen(function* () {
    yield* recording("classifier", () => output)
    const billing = yield* recording("billing", (m) => `billing got: ${m.payload}`)
    const tech = yield* recording("tech", (m) => `tech got: ${m.payload}`)
    return { billing, tech }
  })

describe("Router", () => {
  it.effect("a route whose agent is not registered fails naming the router and the route", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("classifier", () => "billing")
        const error = yield* Effect.flip(Router.make({ name: "desk", classifier: "classifier", routes: { billing: "billing-agent" } }).execute(Message.make("refund")))
        assert.strictEqual(error._tag, "AgentNotFound")
        assert.strictEqual(error.message, 'Pattern "desk", step route.billing: No agent named "billing-agent"; registered agents: classifier')
      })
    ))

  it.effect("a bare label routes, and the route gets the original input", () =>
    withRuntime(
      Effect.gen(function* () {
        const { billing } = yield* desk("Billing.")
        const input = Message.make({ payload: "refund please", metadata: { user: "u1" } })
        const out = yield* Router.make({ name: "desk", classifier: "classifier", routes: { billing: "billing", tech: "tech" } }).execute(input)
        assert.strictEqual(out.payload, "billing got: refund please")
        assert.strictEqual((yield* billing.received)[0]!.id, input.id, "the chosen agent gets the original input")
        assert.deepInclude(traceOf(out), { route: "billing", label: "Billing", confidence: null, reason: "matched" })
        assert.deepStrictEqual(input.metadata, { user: "u1" })
      })
    ))

  it.effect("JSON {category, confidence} routes too", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* desk(`Sure: {"category": "tech", "confidence": 0.8}`)
        const out = yield* Router.make({ name: "desk", classifier: "classifier", routes: { billing: "billing", tech: "tech" } }).execute(
          Message.make("it crashes")
        )
        assert.deepInclude(traceOf(out), { route: "tech", confidence: 0.8, reason: "matched" })
      })
    ))

  it.effect("an unknown label takes the default route, or fails with RouteNotFound naming label and routes", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* desk("weather")
        const withDefault = yield* Router.make({
          name: "desk",
          classifier: "classifier",
          routes: { billing: "billing", tech: "tech" },
          defaultRoute: "tech"
        }).execute(Message.make("rain?"))
        assert.deepInclude(traceOf(withDefault), { route: "tech", reason: "unknown-label" })
        const error = yield* Effect.flip(
          Router.make({ name: "desk", classifier: "classifier", routes: { billing: "billing", tech: "tech" } }).execute(Message.make("rain?"))
        )
        assert.strictEqual(error._tag, "RouteNotFound")
        if (error._tag !== "RouteNotFound") return
        assert.strictEqual(error.label, "weather")
        assert.deepStrictEqual(error.routes, ["billing", "tech"])
        assert.include(error.message, `"weather"`)
      })
    ))

  it.effect("a confidence below minConfidence takes the default route", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* desk(`{"category":"billing","confidence":0.3}`)
        const router = (minConfidence: number) =>
          Router.make({ name: "desk", classifier: "classifier", routes: { billing: "billing", tech: "tech" }, defaultRoute: "tech", minConfidence })
        assert.deepInclude(traceOf(yield* router(0.5).execute(Message.make("x"))), { route: "tech", reason: "low-confidence" })
        assert.deepInclude(traceOf(yield* router(0.2).execute(Message.make("x"))), { route: "billing", reason: "matched" })
      })
    ))

  it("rejects a defaultRoute that is not a route", () => {
    assert.throws(
      () => Router.make({ name: "desk", classifier: "c", routes: { a: "a" }, defaultRoute: "b" as "a" }),
      /defaultRoute "b" is not one of the routes/
    )
  })

  it("parseClassification reads JSON first, then the bare text", () => {
    assert.deepStrictEqual(Router.parseClassification(`{"label":"spam","confidence":1}`), { label: "spam", confidence: 1 })
    assert.deepStrictEqual(Router.parseClassification(" `complex`. "), { label: "complex", confidence: undefined })
    assert.deepStrictEqual(Router.parseClassification(`{"route":"a","confidence":"high"}`), { label: "a", confidence: undefined })
  })

  it.effect("span attributes record the decision", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return withRuntime(
      Effect.gen(function* () {
        yield* desk(`{"category":"tech","confidence":0.9}`)
        yield* Router.make({ name: "desk", classifier: "classifier", routes: { billing: "billing", tech: "tech" } }).execute(Message.make("x"))
        const span = spanNamed(exporter, "pattern.router desk")
        assert.strictEqual(span.attributes["aixfx.router.route"], "tech")
        assert.strictEqual(span.attributes["aixfx.router.confidence"], 0.9)
        spanNamed(exporter, "step desk.classify")
        spanNamed(exporter, "step desk.route.tech")
      }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
    )
  })

  it.effect("interrupting the caller interrupts the classifier in flight", () =>
    withRuntime(
      Effect.gen(function* () {
        const probe = yield* hangingProbe("slow-classifier")
        yield* assertInterruptsSteps(
          Router.make({ name: "desk", classifier: "slow-classifier", routes: { a: "a" } }).execute(Message.make("x")),
          [probe]
        )
      })
    ))

  it.effect("costOptimized sends simple requests to the cheap agent and complex ones to the expensive one (offline model)", () =>
    Effect.gen(function* () {
      yield* AgentRuntime.register(Router.complexityClassifier({ name: "sizer" }))
      yield* AgentRuntime.register(Agent.fromFunction("cheap", (m) => Message.reply(m, "cheap answer")))
      yield* AgentRuntime.register(Agent.fromFunction("expensive", (m) => Message.reply(m, "expensive answer")))
      const router = Router.costOptimized({ name: "saver", classifier: "sizer", simple: "cheap", complex: "expensive" })
      const simple = yield* router.execute(Message.make("What is 2+2?"))
      assert.strictEqual(simple.payload, "cheap answer")
      const complex = yield* router.execute(
        Message.make("Compare the trade-offs of three database architectures for a multi-region design and explain why one wins?")
      )
      assert.strictEqual(complex.payload, "expensive answer")
    }).pipe(Effect.provide(Layer.merge(LocalRuntime.layer(), LocalHeuristicModel.layer()))))
})
