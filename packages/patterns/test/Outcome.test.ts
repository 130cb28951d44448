/**
 * Each pattern's typed outcome accessor (`Router.outcome(reply)`, ...) refuses another pattern's
 * reply naming the field, and an `AgentNotFound` raised inside any pattern names the pattern and
 * the step (route, team, turn, ...) that asked for the missing agent.
 */
import { AgentRuntime, LocalRuntime, Message, type PayloadDecodeError } from "@aixfx/core"
import { Ensemble, Hierarchical, Parallel, Rag, Reflection, Router, Swarm } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { recording } from "./probes.js"

describe("pattern outcomes", () => {
  it.effect("an accessor decodes its own pattern's reply and refuses another's at metadata.trace.kind", () =>
    Effect.gen(function* () {
      yield* recording("a", () => "yes")
      yield* recording("b", () => "yes")
      const reply = yield* Parallel.make({ name: "both", agents: ["a", "b"], aggregate: Parallel.majority }).execute(Message.make("?"))
      const parallel = yield* Parallel.outcome(reply)
      assert.deepInclude(parallel, { kind: "parallel", name: "both", succeeded: 2, winner: "yes" })
      const accessors: ReadonlyArray<(reply: Message.Message) => Effect.Effect<unknown, PayloadDecodeError>> = [Router.outcome, Swarm.outcome, Rag.outcome, Reflection.outcome, Hierarchical.outcome, Ensemble.outcome]
      for (const outcome of accessors) {
        const error = yield* Effect.flip(outcome(reply))
        assert.strictEqual(error._tag, "PayloadDecodeError")
        assert.strictEqual(error.path, "metadata.trace.kind")
        assert.include(error.message, reply.id)
      }
    }).pipe(Effect.provide(LocalRuntime.layer())))

  const missing = [
    ["Router", () => Router.make({ name: "desk", classifier: "ghost", routes: { a: "a" } }), "classify"],
    ["Parallel", () => Parallel.make({ name: "fan", agents: ["a", "ghost"], minSuccesses: 2 }), "ghost"],
    ["Swarm", () => Swarm.make({ name: "crew", entry: "ghost", agents: [] }), "turn.0.ghost"],
    ["Rag", () => Rag.make({ name: "docs", retriever: "ghost", generator: "a" }), "retrieve"],
    ["Reflection", () => Reflection.make({ name: "review", generator: "a", critic: "ghost" }), "critique.ghost"],
    ["Hierarchical", () => Hierarchical.make({ name: "project", manager: "planner", teams: { build: ["ghost"] } }), "team.build.ghost"]
  ] as const

  for (const [kind, make, step] of missing) {
    it.effect(`${kind}: AgentNotFound names the pattern and the step`, () =>
      Effect.gen(function* () {
        yield* recording("a", () => "yes")
        yield* recording("planner", () => JSON.stringify({ assignments: [{ team: "build", task: "t" }] }))
        const pattern = make()
        const error = yield* Effect.flip(AgentRuntime.call(pattern, Message.make("x")).pipe(Effect.provide(AgentRuntime.layerAgents(pattern))))
        assert.include(error.message, `Pattern "${pattern.name}", step ${step}: No agent named "ghost"`)
      }).pipe(Effect.provide(LocalRuntime.layer())))
  }

  it.effect("Ensemble: a missing voter is a failed vote, named with its tag when no voter answered", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Ensemble.make({ name: "vote", models: ["ghost"] }).execute(Message.make("x")))
      assert.strictEqual(error._tag, "InsufficientAgreement")
      assert.include(error.message, 'Ensemble "vote": no voter answered (ghost: AgentNotFound)')
    }).pipe(Effect.provide(LocalRuntime.layer())))
})
