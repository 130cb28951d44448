/**
 * A model call's ledger entry lands in its caller's ledger, whatever ledger the agent was
 * registered with: the caller's CostLedger (and the RunReport built from it) sees every call of its
 * run. An agent's own ledger is used only by callers without one.
 */
import { Agent, AgentRuntime, CostLedger, LocalHeuristicModel, LocalRuntime, Message, RunReport, Workflow } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const writer = Agent.llm({ name: "writer", instructions: "Answer using only the facts given." })
const researcher = Agent.llm({ name: "researcher", instructions: "Extract the facts that answer the question." })
/** An agent calling another by name (as a pattern does), itself registered with a ledger of its own. */
const lead = Agent.make({ name: "lead", execute: (m) => AgentRuntime.call("writer", m) })

/** Registers `agent` with the offline model and a ledger of its own (the agent's, not the caller's). */
const registerWithOwnLedger = <R>(agent: Agent.Agent<R>, ledger: CostLedger.Service) =>
  AgentRuntime.register(agent).pipe(
    Effect.provideService(CostLedger.CostLedger, ledger),
    Effect.provide(LocalHeuristicModel.layer())
  ) as Effect.Effect<void, unknown, AgentRuntime.AgentRuntime>

describe("costs come home", () => {
  it.effect("calls into agents registered with their own ledgers are recorded in the caller's, nested ones too", () =>
    Effect.gen(function* () {
      const writerLedger = yield* CostLedger.make
      const researcherLedger = yield* CostLedger.make
      yield* registerWithOwnLedger(writer, writerLedger)
      yield* registerWithOwnLedger(researcher, researcherLedger)
      yield* registerWithOwnLedger(lead, writerLedger)
      const callerLedger = yield* CostLedger.make
      yield* Effect.gen(function* () {
        const facts = yield* AgentRuntime.call("researcher", Message.make("Why Effect? Effect gives typed errors."))
        yield* AgentRuntime.call("writer", facts)
        yield* AgentRuntime.call("lead", facts)
      }).pipe(Workflow.run("home", { runId: "run-1" }), Effect.provideService(CostLedger.CostLedger, callerLedger))

      const entries = yield* callerLedger.entries
      assert.deepStrictEqual(entries.map((e) => [e.runId, e.agent]), [["run-1", "researcher"], ["run-1", "writer"], ["run-1", "writer"]])
      assert.deepStrictEqual(yield* writerLedger.entries, [])
      assert.deepStrictEqual(yield* researcherLedger.entries, [])
      const [run] = RunReport.fromLedger(entries)
      assert.strictEqual(run!.totals.calls, 3)
    }).pipe(Effect.provide(LocalRuntime.layer())))

  it.effect("a caller without a ledger leaves the call to the agent's own", () =>
    Effect.gen(function* () {
      const writerLedger = yield* CostLedger.make
      yield* registerWithOwnLedger(writer, writerLedger)
      yield* AgentRuntime.call("writer", Message.make("Effect gives typed errors."))
      assert.deepStrictEqual((yield* writerLedger.entries).map((e) => e.agent), ["writer"])
    }).pipe(Effect.provide(LocalRuntime.layer())))
})
