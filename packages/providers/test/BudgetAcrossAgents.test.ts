/**
 * A run's budget counts every model call of the run, whichever agent made it and whatever ledger or
 * budget store that agent was registered with: the calls land in the caller's ledger, and reserve in
 * the caller's budget store.
 */
import { Agent, AgentRuntime, BudgetExceeded, BudgetStore, CostLedger, LanguageModel, LocalHeuristicModel, LocalRuntime, Message, Workflow } from "@aixfx/core"
import { withBudget } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"

const prompt = "Effect gives typed errors, structured concurrency and resource safety to TypeScript programs. ".repeat(20)

/** An agent asking the model one question with a small output limit. */
const asking = (name: string) =>
  Agent.make({
    name,
    execute: (m) => Effect.map(LanguageModel.generate({ messages: [{ role: "user", content: prompt }], maxTokens: 10 }), (r) => Message.reply(m, r.text))
  })

/** Registers `agent` with the offline model under a token budget built over a ledger of the agent's own. */
const registerBudgeted = (agent: Agent.Agent<LanguageModel.LanguageModel>, maxTokens: number) =>
  Effect.gen(function* () {
    const own = yield* CostLedger.make
    const model = withBudget({ maxTokens, per: "run" }).pipe(
      Layer.provide(LocalHeuristicModel.layer()),
      Layer.provideMerge(Layer.succeed(CostLedger.CostLedger, own))
    )
    yield* AgentRuntime.register(agent).pipe(Effect.provide(model))
    return own
  })

describe("budgets across agents", () => {
  it.effect("a run's token budget counts the calls of every agent of the run, each registered with its own ledger", () =>
    Effect.gen(function* () {
      const callerLedger = yield* CostLedger.make
      const callerBudgets = yield* BudgetStore.make
      const firstOwn = yield* registerBudgeted(asking("first"), 1_000_000)
      const refusedOrNot = yield* Effect.gen(function* () {
        yield* AgentRuntime.call("first", Message.make("go"))
        const spent = (yield* callerLedger.entries)[0]!.usage.totalTokens
        // Room for one such call, not two: the second agent's budget must see the first's spending.
        yield* registerBudgeted(asking("second"), spent + spent / 2)
        return yield* Effect.either(AgentRuntime.call("second", Message.make("go")))
      }).pipe(Workflow.run("budgeted", { runId: "run-1" }), Effect.provideService(CostLedger.CostLedger, callerLedger), Effect.provideService(BudgetStore.BudgetStore, callerBudgets))
      assert.isTrue(refusedOrNot._tag === "Left" && refusedOrNot.left instanceof BudgetExceeded, `expected BudgetExceeded, got ${JSON.stringify(refusedOrNot)}`)
      assert.deepStrictEqual(yield* firstOwn.entries, [])
    }).pipe(Effect.provide(LocalRuntime.layer())))
})
