import { assert, describe, it } from "@effect/vitest"
import { Agent, AgentFailed, AgentRuntime, CostLedger, LanguageModel, LocalRuntime, Message, Pricing, RunReport, Telemetry, Usage, Workflow } from "@aixfx/core"
import { Effect, Layer } from "effect"
import { run } from "./fixtures/telemetryRun.js"

/** A model of provider "acme" answering "ok" with the given usage, whichever model is asked for. */
const acmeModel = (inputTokens: number, outputTokens: number) =>
  LanguageModel.make({
    provider: "acme",
    defaultModel: "acme-1",
    generate: (request) =>
      Effect.succeed({ text: "ok", toolCalls: [], finishReason: "stop" as const, provider: "acme", model: request.model, usage: Usage.make({ inputTokens, outputTokens }) })
  })

const describeTree = (nodes: ReadonlyArray<RunReport.Node>, depth = 0): ReadonlyArray<string> =>
  nodes.flatMap((n) => [`${"  ".repeat(depth)}${n.kind} ${n.name} ×${n.totals.calls}`, ...describeTree(n.children, depth + 1)])

describe("RunReport", () => {
  it.effect("from spans: run → pattern → agent → model with calls, tokens, cost and time; the same figures as the ledger", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      yield* run()
      const report = RunReport.fromSpans(exporter.getFinishedSpans())
      assert.deepStrictEqual(describeTree(report), [
        "run orders ×1",
        "  pattern support (router) ×1",
        "    agent writer ×1",
        "      model acme:acme-1 ×2"
      ])
      const runNode = report[0]!
      const model = runNode.children[0]!.children[0]!.children[0]!
      assert.strictEqual(model.totals.usage.inputTokens, 220)
      assert.strictEqual(model.totals.usage.outputTokens, 18)
      assert.closeTo(runNode.totals.costUsd, 220e-6 + 36e-6, 1e-12)
      assert.strictEqual(runNode.totals.errors, 0)
      assert.isAtLeast(runNode.totals.durationMs, runNode.children[0]!.totals.durationMs)

      // The ledger gives the same tree of model figures (calls there are model calls).
      const ledger = RunReport.fromLedger(yield* CostLedger.entries)
      assert.deepStrictEqual(describeTree(ledger).map((l) => l.replace(/ ×\d+$/, "")), [
        `run ${ledger[0]!.name}`,
        "  pattern support",
        "    agent writer",
        "      model acme:acme-1"
      ])
      assert.match(ledger[0]!.name, /^orders \([0-9a-f]{8}\)$/, "the ledger knows the run's workflow and tells runs apart by id")
      assert.deepStrictEqual(ledger[0]!.totals.usage, runNode.totals.usage)
      assert.closeTo(ledger[0]!.totals.costUsd, runNode.totals.costUsd, 1e-12)

      const table = RunReport.format(report).split("\n")
      assert.match(table[0]!, /^\s+calls\s+errors\s+input tok\s+output tok\s+cost\s+time$/)
      assert.match(table[2]!, /^run orders\s+1\s+0\s+220\s+18\s+\$0\.000256\s+\d+ ms$/)
      assert.match(table[5]!, /^ {6}model acme:acme-1\s+2\s+0\s+220\s+18\s+\$0\.000256\s+\d+ ms$/)
    }).pipe(Effect.provide(CostLedger.layer), Effect.provide(Telemetry.layerMemory(exporter)))
  })

  it.live("from the ledger with the run's spans: the run's time is its wall time (its workflow span's), the rows below still sum model calls", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    const model = acmeModel(10, 2)
    return Effect.gen(function* () {
      // The run waits 80 ms besides its quick model call: its wall time is far from its model time.
      yield* Effect.zipRight(Effect.sleep("80 millis"), LanguageModel.generate({ messages: [{ role: "user", content: "hi" }] })).pipe(Workflow.run("waits"))
      const entries = yield* CostLedger.entries
      const spans = exporter.getFinishedSpans()
      const [wall] = RunReport.fromSpans(spans)
      const [summed] = RunReport.fromLedger(entries)
      const [timed] = RunReport.fromLedger(entries, { runSpans: spans.filter((s) => s.name === "workflow waits") })
      assert.isAtLeast(wall!.totals.durationMs, 80)
      assert.isBelow(summed!.totals.durationMs, 80, "without spans, the run's time sums its model calls")
      assert.strictEqual(timed!.totals.durationMs, wall!.totals.durationMs, "with them, it is the workflow span's duration")
      assert.deepStrictEqual(timed!.children, summed!.children)
      assert.deepStrictEqual({ ...timed!.totals, durationMs: 0 }, { ...summed!.totals, durationMs: 0 })
      assert.match(RunReport.format([timed!]).split("\n")[2]!, new RegExp(`^run waits \\([0-9a-f]{8}\\).*\\s${wall!.totals.durationMs} ms$`))
    }).pipe(Effect.provideService(LanguageModel.LanguageModel, model), Effect.provide(CostLedger.layer), Effect.provide(Telemetry.layerMemory(exporter)))
  })

  it.effect("counts failures where they happen and merges repeated calls of one agent", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      yield* AgentRuntime.register(Agent.fromFunction("flaky", (m) => (m.payload === "fail" ? Effect.fail(AgentFailed.of("flaky", "asked to")) : m)))
      yield* Effect.forEach(["ok", "fail", "ok"], (p) => Effect.either(AgentRuntime.call("flaky", Message.make(p)))).pipe(Workflow.run("retries"))
      yield* AgentRuntime.call("flaky", Message.make("outside any workflow"))
      const report = RunReport.fromSpans(exporter.getFinishedSpans())
      assert.deepStrictEqual(describeTree(report), ["run retries ×1", "  agent flaky ×3", "agent flaky ×1"])
      assert.strictEqual(report[0]!.children[0]!.totals.errors, 1)
      assert.strictEqual(report[0]!.totals.errors, 0, "the run itself caught the failure")
      assert.match(RunReport.format(report).split("\n").at(-1)!, /^total\s+2\s+0\s+0\s+0\s+\$0\.000000\s+\d+ ms$/)
    }).pipe(Effect.provide(LocalRuntime.layer()), Effect.provide(Telemetry.layerMemory(exporter)))
  })

  it.effect("prints the date of the prices the calls used, and names each unpriced model with how to price it", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    const model = acmeModel(1000, 100)
    // Prices acme-1 only, dated as a pricing table is.
    const pricing = Layer.succeed(Pricing.Pricing, {
      price: (_p, m, u) => (m === "acme-1" ? u.inputTokens * 1e-6 + u.outputTokens * 2e-6 : null),
      asOf: "2026-09-23"
    })
    return Effect.gen(function* () {
      yield* Effect.forEach(["acme-1", "acme-mystery", "acme-mystery"], (name) => LanguageModel.generate({ messages: [{ role: "user", content: "hi" }], model: name })).pipe(
        Workflow.run("pricing-notes")
      )
      for (const report of [RunReport.fromSpans(exporter.getFinishedSpans()), RunReport.fromLedger(yield* CostLedger.entries)]) {
        assert.deepStrictEqual(report[0]!.totals.pricesAsOf, ["2026-09-23"])
        const lines = RunReport.format(report).split("\n")
        assert.match(lines.find((l) => l.includes("model acme:acme-1"))!, /\$0\.001200\s+\d+ ms$/)
        assert.match(lines.find((l) => l.includes("model acme:acme-mystery"))!, /\sunpriced\s+\d+ ms$/)
        assert.match(lines[2]!, /^run pricing-notes.*\$0\.001200 \+ 2 unpriced\s+\d+ ms$/)
        assert.deepStrictEqual(lines.slice(-2), [
          "Prices as of 2026-09-23.",
          `Unpriced: acme:acme-mystery (2 calls; not in the costs above). Add its price with withCostTracking({ prices: { "acme": { "acme-mystery": { input, output } } } }) from @aixfx/providers (USD per 1M tokens), or alias it to a priced model with { aliases }.`
        ])
      }
      // The span says which prices it was priced with; an unpriced call has none.
      const chats = exporter.getFinishedSpans().filter((s) => s.name.startsWith("chat "))
      assert.deepStrictEqual(chats.map((s) => s.attributes["aixfx.cost.prices_as_of"]), ["2026-09-23", undefined, undefined])
    }).pipe(
      Effect.provideService(LanguageModel.LanguageModel, model),
      Effect.provide(Layer.merge(pricing, CostLedger.layer)),
      Effect.provide(Telemetry.layerMemory(exporter))
    )
  })
})
