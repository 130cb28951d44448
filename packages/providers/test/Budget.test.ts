import { BudgetExceeded, CallContext, CostLedger, InvalidRequest, LanguageModel } from "@aixfx/core"
import { Anthropic, OpenAi, withBudget, withCostTracking } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, Stream } from "effect"
import * as FakeServer from "./fakeServer.js"
import { SECRET } from "./support.js"

/** OpenAI (against the fake server) → cost tracking → budget, sharing one ledger with the test. */
const budgeted = (server: FakeServer.FakeServer, budget: Parameters<typeof withBudget>[0]) =>
  withBudget(budget).pipe(
    Layer.provide(withCostTracking().pipe(Layer.provide(OpenAi.layer({ apiKey: Redacted.make(SECRET), baseURL: `${server.url}/v1`, model: "gpt-4o" })))),
    Layer.provideMerge(CostLedger.layer)
  )

const ask = (content: string, model?: string) =>
  LanguageModel.generate({ messages: [{ role: "user", content }], maxTokens: 100, ...(model === undefined ? {} : { model }) })

// gpt-4o: $2.50 in, $10 out per 1M. 2000 prompt + 500 completion tokens = $0.01.
const spendOneCent = { json: FakeServer.openAiCompletion({ text: "ok", model: "gpt-4o-2024-08-06", usage: { prompt: 2000, completion: 500 } }) }

describe("withBudget", () => {
  it.scoped("refuses a call that would cross the run's USD budget before it reaches the server", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(spendOneCent, spendOneCent)
      const error = yield* Effect.gen(function* () {
        yield* ask("first")
        return yield* Effect.flip(ask("second"))
      }).pipe(CallContext.withRun("r1"), Effect.provide(budgeted(server, { maxUsd: 0.01, per: "run" })))
      assert.instanceOf(error, BudgetExceeded)
      assert.strictEqual(error.unit, "usd")
      assert.strictEqual(error.scope, 'run "r1"')
      assert.strictEqual(error.limit, 0.01)
      assert.closeTo(error.spent, 0.01, 1e-12)
      // the prompt's tokens at $2.50/M plus maxTokens (100) at $10/M
      assert.isAbove(error.estimate, 100 * 10 / 1e6)
      assert.isBelow(error.estimate, 120 * 10 / 1e6)
      assert.include(error.message, "this call to gpt-4o is estimated at")
      assert.strictEqual(server.requests.length, 1, "the refused call never reached the server")
    }))

  it.scoped("downgrades to the fallback model when that one fits", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(spendOneCent, { json: FakeServer.openAiCompletion({ text: "cheap", model: "gpt-4o-mini" }) })
      const second = yield* Effect.gen(function* () {
        yield* ask("first")
        return yield* ask("second")
      }).pipe(CallContext.withRun("r1"), Effect.provide(budgeted(server, { maxUsd: 0.0105, per: "run", fallbackModel: "gpt-4o-mini" })))
      assert.strictEqual(second.text, "cheap")
      assert.deepStrictEqual(server.requests.map((r) => r.body.model), ["gpt-4o", "gpt-4o-mini"])
    }))

  it.scoped("token budgets per agent: one agent's spending does not limit another's", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(spendOneCent, spendOneCent)
      const outcome = yield* Effect.gen(function* () {
        yield* ask("first").pipe(CallContext.withAgent("writer"))
        const refused = yield* Effect.flip(ask("again").pipe(CallContext.withAgent("writer")))
        const other = yield* ask("first").pipe(CallContext.withAgent("critic"))
        return { refused, other }
      }).pipe(CallContext.withRun("r1"), Effect.provide(budgeted(server, { maxTokens: 2520, per: "agent" })))
      assert.instanceOf(outcome.refused, BudgetExceeded)
      assert.strictEqual(outcome.refused.unit, "tokens")
      assert.strictEqual(outcome.refused.spent, 2500)
      assert.strictEqual(outcome.refused.scope, 'agent "writer" in run "r1"')
      assert.strictEqual(outcome.other.text, "ok")
      assert.strictEqual(server.requests.length, 2)
    }))

  it.scoped("calls in flight hold their worst case: a concurrent call gets only the output limit that is left", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ hang: true }, { hang: true })
      yield* Effect.gen(function* () {
        const first = yield* Effect.fork(LanguageModel.generate({ messages: [{ role: "user", content: "a" }], maxTokens: 600 }))
        yield* server.waitForRequests(1)
        const second = yield* Effect.fork(LanguageModel.generate({ messages: [{ role: "user", content: "b" }], maxTokens: 600 }))
        yield* server.waitForRequests(2)
        const [a, b] = server.requests.map((r) => r.body.max_completion_tokens as number)
        assert.strictEqual(a, 600)
        assert.isBelow(b!, 400, "the first call's 600 output tokens ($0.006) are held")
        assert.isAtMost((a! + b!) * 10e-6 + 2 * 10 * 2.5e-6, 0.01, "both worst cases fit in the cap together")
        const third = yield* Effect.flip(LanguageModel.generate({ messages: [{ role: "user", content: "c" }], maxTokens: 600 }))
        assert.instanceOf(third, BudgetExceeded)
        yield* Fiber.interrupt(first)
        yield* Fiber.interrupt(second)
      }).pipe(CallContext.withRun("r1"), Effect.provide(budgeted(server, { maxUsd: 0.01, per: "run" })))
      assert.strictEqual(server.requests.length, 2)
    }))

  it.scoped("with no maxTokens (Agent.llm's default), Anthropic is sent the output limit the budget affords: a model writing all of it stays within the cap", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      // A faithful model: as long an answer as the request allows.
      server.reply({ respond: (body) => ({ json: FakeServer.anthropicMessage({ content: [{ type: "text", text: "..." }], stop: "max_tokens", usage: { input: 12, output: body.max_tokens } }) }) })
      const model = withBudget({ maxUsd: 0.05, per: "run" }).pipe(
        Layer.provide(withCostTracking().pipe(Layer.provide(Anthropic.layer({ apiKey: Redacted.make(SECRET), baseURL: server.url, model: "claude-sonnet-4-5" })))),
        Layer.provideMerge(CostLedger.layer)
      )
      const spent = yield* Effect.gen(function* () {
        yield* LanguageModel.generate({ messages: [{ role: "user", content: "write at length" }] })
        return CostLedger.totals(yield* CostLedger.entries).costUsd
      }).pipe(CallContext.withRun("r1"), Effect.provide(model))
      const sent = server.requests[0]!.body.max_tokens as number
      assert.isBelow(sent, 4096)
      assert.isAtMost(spent, 0.05)
      assert.isAbove(spent, 0.049, "and the budget is not left unused")
    }))

  it.scoped("with no maxTokens, OpenAI (which has no default limit) is sent the output limit the budget affords", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({
        respond: (body) => ({ json: FakeServer.openAiCompletion({ text: "...", model: "gpt-4o-2024-08-06", usage: { prompt: 12, completion: body.max_completion_tokens ?? 4000 } }) })
      })
      const spent = yield* Effect.gen(function* () {
        yield* LanguageModel.generate({ messages: [{ role: "user", content: "write at length" }] })
        return CostLedger.totals(yield* CostLedger.entries).costUsd
      }).pipe(CallContext.withRun("r1"), Effect.provide(budgeted(server, { maxUsd: 0.03, per: "run" })))
      assert.isNumber(server.requests[0]!.body.max_completion_tokens)
      assert.isAtMost(spent, 0.03)
      assert.isAbove(spent, 0.029)
    }))

  it.scoped("many concurrent calls, each using all the output it may: together they never cross the cap", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      const faithful = {
        respond: (body: any) => ({ json: FakeServer.openAiCompletion({ text: "...", model: "gpt-4o-2024-08-06", usage: { prompt: 10, completion: body.max_completion_tokens } }) })
      }
      server.reply(...Array.from({ length: 12 }, () => faithful))
      const outcome = yield* Effect.gen(function* () {
        const results = yield* Effect.forEach(
          Array.from({ length: 12 }, (_, i) => i),
          (i) => Effect.either(LanguageModel.generate({ messages: [{ role: "user", content: `question ${i}` }], maxTokens: 1000 })),
          { concurrency: "unbounded" }
        )
        return { results, spent: CostLedger.totals(yield* CostLedger.entries).costUsd }
      }).pipe(CallContext.withRun("r1"), Effect.provide(budgeted(server, { maxUsd: 0.05, per: "run" })))
      assert.isAtMost(outcome.spent, 0.05)
      assert.isAbove(outcome.spent, 0.045)
      const refused = outcome.results.filter((r) => r._tag === "Left")
      assert.isAbove(refused.length, 0)
      for (const r of refused) assert.instanceOf(r.left, BudgetExceeded)
    }))

  it.scoped("a USD budget on a model without a price is refused, not treated as free", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      const error = yield* Effect.flip(ask("hi", "gpt-99")).pipe(Effect.provide(budgeted(server, { maxUsd: 1, per: "run" })))
      assert.instanceOf(error, InvalidRequest)
      assert.include(error.message, 'price of openai model "gpt-99" is unknown')
      assert.strictEqual(server.requests.length, 0)
    }))

  it.scoped("a call cut off keeps its reservation (the provider may have billed it), streams too; an error status releases it", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      const cutStream = { sse: [FakeServer.openAiChunk({ content: "The quick brown fox " }), FakeServer.openAiChunk({ content: "jumps over" })], cut: true }
      const echo = { json: FakeServer.openAiCompletion({ text: "ok", model: "gpt-4o-2024-08-06", usage: { prompt: 5, completion: 1 } }) }
      server.reply({ hang: true }, echo, cutStream, echo, { status: 400, json: { error: { message: "bad", type: "invalid_request_error" } } }, echo)
      const sentLimit = (i: number) => server.requests[i]!.body.max_completion_tokens as number
      const askFor = (maxTokens: number) => LanguageModel.generate({ messages: [{ role: "user", content: "go" }], maxTokens })
      yield* Effect.gen(function* () {
        // $0.01 cap; 600 output tokens at $10/M hold $0.006 (plus the prompt).
        const hanging = yield* Effect.fork(askFor(600))
        yield* server.waitForRequests(1)
        yield* Fiber.interrupt(hanging)
        yield* askFor(600)
        assert.isBelow(sentLimit(1), 400, "the interrupted call still holds its 600 tokens")

        const cut = yield* Effect.either(Stream.runDrain(LanguageModel.stream({ messages: [{ role: "user", content: "go" }], maxTokens: 300 })))
        assert.strictEqual(cut._tag, "Left")
        yield* askFor(600)
        assert.isBelow(sentLimit(3), sentLimit(1) - 250, "the cut stream still holds its 300 tokens, not the few that arrived")

        const refused = yield* Effect.either(askFor(50))
        assert.strictEqual(refused._tag, "Left", "the provider refused it with HTTP 400")
        yield* askFor(50)
        assert.strictEqual(sentLimit(5), 50, "a refused call holds nothing")
      }).pipe(CallContext.withRun("r1"), Effect.provide(budgeted(server, { maxUsd: 0.01, per: "run" })))
    }))
})
