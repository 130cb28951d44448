/**
 * Costs that come home over gRPC keep every field the serving node's ledger recorded (the date of
 * the prices, 1-hour cache writes), by Execute and ExecuteStream alike, and a streamed call records
 * them into a caller's ledger that is asynchronous, as one kept in a database is.
 */
import { Agent, AgentRuntime, CostLedger, DistributedRuntime, Message, Pricing, Usage } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Stream } from "effect"

const pricing: Pricing.Service = { price: (_provider, _model, usage) => usage.inputTokens / 1000, asOf: "2026-09-23" }

/** Records one priced model call, as a provider's middleware does, then replies. */
const spender = Agent.make({
  name: "spender",
  execute: (m) =>
    CostLedger.recordCall({
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      usage: Usage.make({ inputTokens: 300, cacheWriteTokens: 50, cacheWrite1hTokens: 20 }),
      startedAt: 0
    }).pipe(Effect.as(Message.reply(m, "spent")), Effect.provideService(Pricing.Pricing, pricing))
})

/** Records one priced model call, then never answers. */
const stuck = Agent.make({
  name: "stuck",
  execute: () =>
    CostLedger.recordCall({ provider: "anthropic", model: "claude-sonnet-4-5", usage: Usage.make({ inputTokens: 500 }), startedAt: 0 }).pipe(
      Effect.zipRight(Effect.never),
      Effect.provideService(Pricing.Pricing, pricing)
    )
})

/** An in-memory ledger whose `record` takes a moment, as a database's does. */
const asyncLedger = Effect.map(CostLedger.make, (inner): CostLedger.Service => ({
  ...inner,
  record: (entry) => Effect.zipRight(Effect.sleep("5 millis"), inner.record(entry))
}))

const loopback = Effect.map(Layer.build(DistributedRuntime.loopback({ agents: [spender, stuck] })), (context) => ({
  runtime: Context.get(context, AgentRuntime.AgentRuntime),
  node: Context.get(context, DistributedRuntime.Node)
}))

describe("costs over the wire", () => {
  it.scopedLive("an entry keeps the date of its prices and its 1-hour cache writes, called or streamed", () =>
    Effect.gen(function* () {
      const { node, runtime } = yield* loopback
      const ledger = yield* CostLedger.make
      yield* runtime.call("spender", Message.make("go")).pipe(Effect.provideService(CostLedger.CostLedger, ledger))
      yield* Stream.runDrain(node.executeStream("spender", Message.make("go"))).pipe(Effect.provideService(CostLedger.CostLedger, ledger))
      const entries = yield* ledger.entries
      assert.strictEqual(entries.length, 2)
      for (const entry of entries) {
        assert.strictEqual(entry.pricesAsOf, "2026-09-23")
        assert.strictEqual(entry.costUsd, 0.3)
        assert.strictEqual(entry.usage.cacheWriteTokens, 50)
        assert.strictEqual(entry.usage.cacheWrite1hTokens, 20)
      }
    }))

  it.scopedLive("a streamed call records its costs into an asynchronous ledger, then ends", () =>
    Effect.gen(function* () {
      const { node } = yield* loopback
      const ledger = yield* asyncLedger
      const events = yield* Stream.runCollect(node.executeStream("spender", Message.make("go"))).pipe(
        Effect.provideService(CostLedger.CostLedger, ledger),
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "the stream never ended" })
      )
      assert.strictEqual([...events].at(-1)?._tag, "Result")
      assert.deepStrictEqual((yield* ledger.entries).map((e) => e.agent), ["spender"])
    }))

  it.scopedLive("a call that runs out of time still brings home what it spent, called or streamed", () =>
    Effect.gen(function* () {
      const { node, runtime } = yield* loopback
      // Both ends share this process's event loop: a first call (a cold channel, code run for the
      // first time) can hold it past the few milliseconds the node answers ahead of the deadline.
      yield* runtime.call("spender", Message.make("warm up"))
      const ledger = yield* CostLedger.make
      const withLedger = Effect.provideService(CostLedger.CostLedger, ledger)
      const called = yield* Effect.flip(runtime.call("stuck", Message.make("go"), { timeout: "1 second" })).pipe(withLedger)
      assert.strictEqual(called._tag, "CallTimeout")
      assert.deepInclude(called, { agent: "stuck", timeoutMs: 1000 })
      assert.strictEqual((yield* ledger.entries).length, 1, "the called agent's cost")
      const streamed = yield* Effect.flip(Stream.runDrain(node.executeStream("stuck", Message.make("go"), { timeout: "1 second" }))).pipe(withLedger)
      assert.strictEqual(streamed._tag, "CallTimeout")
      assert.deepStrictEqual((yield* ledger.entries).map((e) => [e.agent, e.costUsd]), [["stuck", 0.5], ["stuck", 0.5]])
    }))

  it.scopedLive("a call its caller cancels brings home what it spent, once", () =>
    Effect.gen(function* () {
      const { runtime } = yield* loopback
      const ledger = yield* CostLedger.make
      // The caller gives up on its own clock: the call is cancelled, and gets no trailers.
      const outcome = yield* runtime.call("stuck", Message.make("go")).pipe(
        Effect.timeoutFail({ duration: "300 millis", onTimeout: () => "gave up" as const }),
        Effect.flip,
        Effect.provideService(CostLedger.CostLedger, ledger)
      )
      assert.strictEqual(outcome, "gave up")
      assert.deepStrictEqual((yield* ledger.entries).map((e) => [e.agent, e.costUsd]), [["stuck", 0.5]])
    }))
})
