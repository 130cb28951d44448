import { CostLedger, LocalHeuristicModel, LocalRuntime, RunReport, Telemetry, Workflow } from "@aixfx/core"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { nestedPatterns } from "../nested-patterns/main.js"
import { costTable } from "./report.js"

const describeTree = (nodes: ReadonlyArray<RunReport.Node>, depth = 0): ReadonlyArray<string> =>
  nodes.flatMap((n) => [`${"  ".repeat(depth)}${n.kind} ${n.name} ×${n.totals.calls}`, ...describeTree(n.children, depth + 1)])

describe("span tree and run report of real nested patterns (Hierarchical → Reflection → RAG)", () => {
  it("every span hangs in one tree under the workflow, with the session; the report follows the nesting", async () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    const { spans, entries } = await Effect.runPromise(
      Effect.gen(function* () {
        yield* nestedPatterns.pipe(Workflow.run("onboarding", { sessionId: "s-nested", userId: "u-nested" }))
        // Read while the telemetry layer is in scope (its shutdown empties the exporter).
        return { spans: exporter.getFinishedSpans(), entries: yield* CostLedger.entries }
      }).pipe(
        Effect.provide(Layer.mergeAll(LocalRuntime.layer(), LocalHeuristicModel.layer(), CostLedger.layer)),
        Effect.provide(Telemetry.layerMemory(exporter))
      )
    )
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]))
    const ancestors = (span: Telemetry.ReadableSpan): ReadonlyArray<string> => {
      const parent = span.parentSpanContext === undefined ? undefined : byId.get(span.parentSpanContext.spanId)
      return parent === undefined ? [] : [parent.name, ...ancestors(parent)]
    }
    const roots = spans.filter((s) => s.parentSpanContext === undefined)
    expect(roots.map((s) => s.name)).toEqual(["workflow onboarding"])
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1)
    for (const span of spans) {
      expect(span.attributes["session.id"], span.name).toBe("s-nested")
      expect(span.attributes["user.id"], span.name).toBe("u-nested")
    }
    const writerChat = spans.find((s) => s.name.startsWith("chat ") && s.attributes["gen_ai.agent.name"] === "writer")!
    expect(ancestors(writerChat).filter((n) => n.startsWith("pattern.") || n.startsWith("workflow") || n.startsWith("invoke_agent writer"))).toEqual([
      "invoke_agent writer",
      "pattern.rag handbook-qa",
      "pattern.reflection reviewed-section",
      "pattern.hierarchical onboarding-note",
      "workflow onboarding"
    ])
    expect(ancestors(writerChat)).toContain("step handbook-qa.generate")

    const report = RunReport.fromSpans(spans)
    const runNode = report[0]!
    expect(runNode.totals.usage).toEqual(CostLedger.totals(entries).usage)
    expect(describeTree(report)).toEqual([
      "run onboarding ×1",
      "  pattern onboarding-note (hierarchical) ×1",
      "    agent lead ×2",
      "      model local:local-heuristic-1 ×1",
      "    pattern reviewed-section (reflection) ×2",
      "      pattern handbook-qa (rag) ×4",
      "        agent handbook ×4",
      "        agent writer ×4",
      "          model local:local-heuristic-1 ×4",
      "      agent critic ×4",
      "        model local:local-heuristic-1 ×4"
    ])
    const table = costTable(entries, spans).split("\n")
    expect(table.join("\n")).toContain("pattern onboarding-note")
    // The run's time is the workflow span's (what a trace viewer shows), not the sum of its model calls.
    expect(table[2]).toMatch(new RegExp(`^run onboarding \\([0-9a-f]{8}\\).*\\s${runNode.totals.durationMs} ms$`))
  })
})
