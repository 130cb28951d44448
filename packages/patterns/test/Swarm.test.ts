import { Agent, AgentRuntime, LocalHeuristicModel, LocalRuntime, Message, Telemetry } from "@aixfx/core"
import { Hierarchical, Swarm } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock } from "effect"
import { assertInterruptsSteps, hangingProbe, recording, spanNamed } from "./probes.js"
import { withRuntime } from "./runtime.js"

/** A reply handing off to `to`. */
const handOff = (input: Message.Message, text: string, to: string, reason = "") =>
  Message.reply(input, { payload: text, metadata: { handoff: { to, reason } } })

const traceOf = (m: Message.Message) => Effect.runSync(Swarm.outcome(m))

describe("Swarm", () => {
  it.effect("follows handoffs; every agent gets the original request and the conversation so far", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("triage", (m) => handOff(m, "Passing you to billing.", "billing", "refund question"))
        const billing = yield* recording("billing", (m) => handOff(m, "Refunds need the tech team to check the charge.", "tech"))
        const tech = yield* recording("tech", () => "The duplicate charge was reversed.")
        const input = Message.make("I was charged twice")
        const out = yield* Swarm.make({ name: "desk", entry: "triage", agents: ["billing", "tech"] }).execute(input)
        assert.strictEqual(out.payload, "The duplicate charge was reversed.")
        assert.deepStrictEqual(traceOf(out).path, ["triage", "billing", "tech"])
        assert.deepStrictEqual(traceOf(out).handoffs[0], { from: "triage", to: "billing", reason: "refund question" })
        const seenByBilling = (yield* billing.received)[0]!
        assert.strictEqual(seenByBilling.payload, "I was charged twice")
        assert.deepStrictEqual(seenByBilling.metadata["conversation"], [{ role: "assistant", content: "Passing you to billing.", agent: "triage" }])
        const seenByTech = (yield* tech.received)[0]!
        assert.strictEqual(seenByTech.payload, "I was charged twice")
        assert.deepStrictEqual(
          (seenByTech.metadata["conversation"] as ReadonlyArray<{ agent: string }>).map((t) => t.agent),
          ["triage", "billing"]
        )
        assert.strictEqual(out.metadata["inReplyTo"], input.id)
        assert.deepStrictEqual(input.metadata, {})
      })
    ))

  it.effect("an unknown target fails with InvalidHandoff naming both agents", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("triage", (m) => handOff(m, "", "sales"))
        yield* recording("billing", () => "x")
        const error = yield* Effect.flip(Swarm.make({ name: "desk", entry: "triage", agents: ["billing"] }).execute(Message.make("q")))
        assert.strictEqual(error._tag, "InvalidHandoff")
        if (error._tag !== "InvalidHandoff") return
        assert.strictEqual(error.from, "triage")
        assert.strictEqual(error.to, "sales")
        assert.deepStrictEqual(error.agents, ["triage", "billing"])
      })
    ))

  it.effect("A→B→A cycles are allowed up to maxHandoffs and the path shows them", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("a", (m, call) => (call < 1 ? handOff(m, "to b", "b") : Message.reply(m, "a finally answers")))
        yield* recording("b", (m) => handOff(m, "back to a", "a"))
        const ok = yield* Swarm.make({ name: "ping", entry: "a", agents: ["b"], maxHandoffs: 2 }).execute(Message.make("q"))
        assert.deepStrictEqual(traceOf(ok).path, ["a", "b", "a"])
        assert.strictEqual(ok.payload, "a finally answers")
      })
    ))

  it.effect("more than maxHandoffs fails with the path taken", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("a", (m) => handOff(m, "to b", "b"))
        yield* recording("b", (m) => handOff(m, "to a", "a"))
        const error = yield* Effect.flip(Swarm.make({ name: "loop", entry: "a", agents: ["b"], maxHandoffs: 3 }).execute(Message.make("q")))
        assert.strictEqual(error._tag, "MaxHandoffsExceeded")
        if (error._tag !== "MaxHandoffsExceeded") return
        assert.deepStrictEqual(error.path, ["a", "b", "a", "b", "a"])
        assert.include(error.message, "a → b → a → b → a")
      })
    ))

  it.effect("stepTimeout bounds each turn", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* AgentRuntime.register(Agent.make({ name: "slow", execute: (m) => Effect.as(Effect.sleep("1 minute"), m) }))
        const fiber = yield* Effect.fork(Swarm.make({ name: "s", entry: "slow", agents: [], stepTimeout: "1 second" }).execute(Message.make("q")))
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Effect.flip(Fiber.join(fiber)))._tag, "CallTimeout")
      })
    ))

  it.effect("interrupting the caller interrupts the agent in flight", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("triage", (m) => handOff(m, "", "hang"))
        const probe = yield* hangingProbe("hang")
        yield* assertInterruptsSteps(Swarm.make({ name: "s", entry: "triage", agents: ["hang"] }).execute(Message.make("q")), [probe])
      })
    ))

  it.effect("the path is a span attribute", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return withRuntime(
      Effect.gen(function* () {
        yield* recording("triage", (m) => handOff(m, "", "billing"))
        yield* recording("billing", () => "done")
        yield* Swarm.make({ name: "desk", entry: "triage", agents: ["billing"] }).execute(Message.make("q"))
        const span = spanNamed(exporter, "pattern.swarm desk")
        assert.strictEqual(span.attributes["aixfx.swarm.path"], "triage>billing")
        assert.strictEqual(span.attributes["aixfx.swarm.handoffs"], 1)
      }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
    )
  })

  it.effect("an LLM agent hands off through its transfer tool (offline model), nested as a Hierarchical team member", () =>
    Effect.gen(function* () {
      yield* AgentRuntime.register(
        Agent.llm({ name: "front-desk", instructions: "You are the front desk. Greet customers.", handoffs: ["billing"] })
      )
      yield* AgentRuntime.register(Agent.llm({ name: "billing", instructions: "You handle invoices and refunds. Answer from the request." }))
      yield* AgentRuntime.register(Swarm.make({ name: "support", entry: "front-desk", agents: ["billing"] }))
      yield* AgentRuntime.register(
        Agent.fromFunction("manager", (m) =>
          Message.reply(m, m.metadata["stage"] === "synthesis" ? `summary: ${m.payload.length > 0 ? "ok" : ""}` : JSON.stringify({ assignments: [{ team: "care", task: m.payload }] }))
        )
      )
      const direct = yield* AgentRuntime.call("support", Message.make("I need help with billing: refund my invoice"))
      assert.deepStrictEqual(traceOf(direct).path, ["front-desk", "billing"])
      const nested = yield* Hierarchical.make({ name: "org", manager: "manager", teams: { care: ["support"] } }).execute(
        Message.make("I need help with billing: refund my invoice")
      )
      assert.include(nested.payload, "summary")
    }).pipe(Effect.provide(Layer.merge(LocalRuntime.layer(), LocalHeuristicModel.layer()))))
})
