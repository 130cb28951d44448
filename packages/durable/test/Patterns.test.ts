/**
 * Router, Swarm and RAG inside a durable run give what they give in memory, and a replay of the
 * finished run gives it again without calling any agent.
 */
import { Agent, AgentRuntime, LocalRuntime, Message, Workflow } from "@aixfx/core"
import { Durable } from "@aixfx/durable"
import { Rag, Router, Swarm } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "aixfx-durable-patterns-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const calls = new Map<string, number>()
const counted = (name: string, answer: (m: Message.Message) => Message.Message) =>
  Agent.make({ name, execute: (m) => Effect.sync(() => (calls.set(name, (calls.get(name) ?? 0) + 1), answer(m))) })

const agents: ReadonlyArray<Agent.Agent<AgentRuntime.AgentRuntime>> = [
  counted("classifier", (m) => Message.reply(m, JSON.stringify({ category: m.payload.includes("charge") ? "billing" : "tech", confidence: 0.9 }))),
  counted("billing", (m) => Message.reply(m, `billing: ${m.payload}`)),
  counted("tech", (m) => Message.reply(m, `tech: ${m.payload}`)),
  counted("triage", (m) => Message.reply(m, { payload: "Passing you on.", metadata: { handoff: { to: "billing", reason: "refund" } } })),
  counted("writer", (m) => Message.reply(m, `Answer from ${m.metadata["sources"]}`)),
  Rag.inMemoryRetriever({ name: "docs", documents: [{ id: "refunds", text: "Refunds take five days." }, { id: "crashes", text: "Restart the app." }] }),
  Router.make({ name: "support", classifier: "classifier", routes: { billing: "billing", tech: "tech" } }),
  Swarm.make({ name: "desk", entry: "triage", agents: ["billing"] }),
  Rag.make({ name: "qa", retriever: "docs", generator: "writer", topK: 1 })
]

const program = Effect.suspend(() =>
  Effect.forEach(
    [["support", "A double charge"], ["desk", "I was charged twice"], ["qa", "How long do refunds take?"]] as const,
    ([agent, question]) => Effect.map(AgentRuntime.call(agent, Message.make(question)), (out) => ({ payload: out.payload, trace: out.metadata["trace"] }))
  )
)

const inMemory = AgentRuntime.layerAgents<AgentRuntime.AgentRuntime>(...agents).pipe(Layer.provideMerge(LocalRuntime.layer()), Layer.orDie)
const durable = (file: string) =>
  AgentRuntime.layerAgents<AgentRuntime.AgentRuntime>(...agents).pipe(
    Layer.provideMerge(Durable.layerSqlite({ filename: file })),
    Layer.provide(LocalRuntime.layer()),
    Layer.orDie
  )

describe("patterns inside a durable run", () => {
  it.live("Router, Swarm and RAG answer as in memory; the finished run replays with no agent called", () =>
    Effect.gen(function* () {
      const expected = yield* Workflow.run("patterns", { runId: "p1" })(program).pipe(Effect.provide(inMemory))
      const file = join(dir, "patterns.db")
      const durableOut = yield* Workflow.run("patterns", { runId: "p1" })(program).pipe(Effect.provide(durable(file)))
      assert.deepStrictEqual(durableOut, expected)
      const before = new Map(calls)
      const replayed = yield* Workflow.run("patterns", { runId: "p1" })(program).pipe(Effect.provide(durable(file)))
      assert.deepStrictEqual(replayed, expected)
      assert.deepStrictEqual(calls, before)
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning)), 60_000)
})
