import { assert, describe, it } from "@effect/vitest"
import { Agent, AgentFailed, AgentRuntime, CostLedger, LocalRuntime, Message, RunReport, Telemetry, Workflow } from "@aixfx/core"
import { Effect } from "effect"
import { run } from "./fixtures/telemetryRun.js"

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
})
