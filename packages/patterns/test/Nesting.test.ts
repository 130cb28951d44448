import { Agent, AgentRuntime, CallContext, DistributedRuntime, Message, Telemetry } from "@aixfx/core"
import { Hierarchical, Rag, Reflection } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect, Layer, Ref } from "effect"
import { assertInterruptsSteps, hangingProbe, recording, spanNamed } from "./probes.js"
import { withRuntime as onPatternRuntime } from "./runtime.js"

type Provide = <A, E>(effect: Effect.Effect<A, E, AgentRuntime.AgentRuntime>) => Effect.Effect<A, E>

/**
 * The same tests in one process and over the wire: swapping `LocalRuntime.layer()` for
 * `DistributedRuntime.loopback()` makes every agent call cross gRPC (127.0.0.1) between two nodes.
 * (The in-process one is the pattern tests' runtime, which test:durable swaps for a durable run.)
 */
const runtimes: ReadonlyArray<[string, Provide, cancelWithin?: Duration.DurationInput]> = [
  ["LocalRuntime", onPatternRuntime],
  // A cancel travels to the serving node: its agent is interrupted soon after, not at once.
  ["DistributedRuntime.loopback (gRPC)", (effect) => Effect.provide(effect, Layer.orDie(DistributedRuntime.loopback())), "10 seconds"]
]

const documents: ReadonlyArray<Rag.InMemoryDocument> = [
  { id: "retry", text: "Retries repeat a failed call with exponential backoff." },
  { id: "budget", text: "A budget stops calls once the cost limit is spent." }
]

/**
 * Three patterns deep: Hierarchical "project" → team member Reflection "reviewed-answer" →
 * generator RAG "docs-qa" → retriever + writer. Scripted agents only.
 */
const registerThreeDeep = (retriever: Agent.Agent) =>
  Effect.gen(function* () {
    yield* AgentRuntime.register(retriever)
    const paths = yield* Ref.make<ReadonlyArray<ReadonlyArray<string>>>([])
    yield* AgentRuntime.register(
      Agent.make({
        name: "writer",
        execute: (m) =>
          Effect.flatMap(CallContext.get, (ctx) =>
            Effect.as(Ref.update(paths, (all) => [...all, ctx.patternPath]), Message.reply(m, `Answer citing ${m.metadata["sources"]}: ${m.payload.split("\n").at(-1)}`))
          )
      })
    )
    yield* recording("critic", (_, call) => JSON.stringify({ score: call === 0 ? 0.95 : 0.5, feedback: "Covers it." }))
    yield* recording("manager", (input) =>
      input.metadata["stage"] === "plan"
        ? JSON.stringify({ assignments: [{ team: "answers", task: "How are failed calls retried?" }] })
        : `Final: ${input.payload.split("## answers: How are failed calls retried?\n")[1]}`
    )
    yield* AgentRuntime.register(Rag.make({ name: "docs-qa", retriever: "docs", generator: "writer", topK: 1 }))
    yield* AgentRuntime.register(Reflection.make({ name: "reviewed-answer", generator: "docs-qa", critic: "critic" }))
    const project = Hierarchical.make({ name: "project", manager: "manager", teams: { answers: ["reviewed-answer"] } })
    return { project, paths: Ref.get(paths) }
  })

describe.each(runtimes)("Nesting three patterns on %s", (_, withRuntime, cancelWithin) => {

  it.effect("Hierarchical → Reflection → RAG: every level runs, the path is recorded, each reply carries its trace", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return withRuntime(
      Effect.gen(function* () {
        const { paths, project } = yield* registerThreeDeep(Rag.inMemoryRetriever({ name: "docs", documents }))
        const out = yield* project.execute(Message.make("Write the retry section of the runbook."))

        assert.strictEqual(out.payload, "Final: Answer citing retry: [retry] Retries repeat a failed call with exponential backoff.")
        assert.deepStrictEqual(yield* paths, [["project", "reviewed-answer", "docs-qa"]])
        assert.deepInclude(yield* Hierarchical.outcome(out), { kind: "hierarchical", depth: 1 })

        const spans = exporter.getFinishedSpans()
        const rag = spanNamed(exporter, "pattern.rag docs-qa")
        const reflection = spanNamed(exporter, "pattern.reflection reviewed-answer")
        const hierarchical = spanNamed(exporter, "pattern.hierarchical project")
        assert.strictEqual(rag.attributes["aixfx.rag.documents"], JSON.stringify(["retry"]))
        assert.strictEqual(reflection.attributes["aixfx.reflection.scores"], "[0.95]")
        // The span tree follows the nesting: rag inside reflection inside hierarchical.
        const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]))
        const ancestors = (span: Telemetry.ReadableSpan): ReadonlyArray<string> => {
          const parent = span.parentSpanContext === undefined ? undefined : byId.get(span.parentSpanContext.spanId)
          return parent === undefined ? [] : [parent.name, ...ancestors(parent)]
        }
        assert.includeMembers([...ancestors(rag)], [reflection.name, hierarchical.name])
        assert.include(ancestors(reflection), hierarchical.name)
      })
    ).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })

  it.effect("interrupting the outermost caller interrupts the innermost step in flight", () =>
    withRuntime(
      Effect.gen(function* () {
        const probe = yield* hangingProbe("docs")
        yield* recording("writer", () => "unused")
        yield* recording("critic", () => "Score: 1/1")
        yield* recording("manager", () => JSON.stringify({ assignments: [{ team: "answers", task: "q" }] }))
        yield* AgentRuntime.register(Rag.make({ name: "docs-qa", retriever: "docs", generator: "writer" }))
        yield* AgentRuntime.register(Reflection.make({ name: "reviewed-answer", generator: "docs-qa", critic: "critic" }))
        const project = Hierarchical.make({ name: "project", manager: "manager", teams: { answers: ["reviewed-answer"] } })
        yield* assertInterruptsSteps(project.execute(Message.make("t")), [probe], cancelWithin)
      })
    ))

  it.effect("maxDepth counts patterns of every kind: a Hierarchical third in a Reflection → RAG chain with maxDepth 2 fails", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* AgentRuntime.register(Rag.inMemoryRetriever({ name: "docs", documents }))
        yield* recording("critic", () => "Score: 1/1")
        const manager = yield* recording("manager", () => "unused")
        yield* recording("worker", () => "unused")
        yield* AgentRuntime.register(Hierarchical.make({ name: "team-writer", manager: "manager", teams: { w: ["worker"] }, maxDepth: 2 }))
        yield* AgentRuntime.register(Rag.make({ name: "docs-qa", retriever: "docs", generator: "team-writer" }))
        const reflection = Reflection.make({ name: "reviewed-answer", generator: "docs-qa", critic: "critic" })
        const error = yield* Effect.flip(reflection.execute(Message.make("How are failed calls retried?")))
        assert.strictEqual(error._tag, "MaxDepthExceeded")
        if (error._tag === "MaxDepthExceeded") {
          assert.deepStrictEqual(error.path, ["reviewed-answer", "docs-qa", "team-writer"])
          assert.strictEqual(error.pattern, "team-writer")
        }
        assert.lengthOf(yield* manager.received, 0)
      })
    ))
})
