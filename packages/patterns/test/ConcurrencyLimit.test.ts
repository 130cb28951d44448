/**
 * The README's `maxConcurrentCalls: 8` with patterns nested three deep and as many concurrent
 * callers as permits: every call must finish (a pattern waiting on its steps used to hold a permit
 * they needed, and eight callers deadlocked).
 */
import { Agent, AgentRuntime, LocalRuntime, Message } from "@aixfx/core"
import { Ensemble, Parallel, Router } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const answering = (name: string, answer: string) => Agent.fromFunction(name, (m) => Message.reply(m, answer))

describe("patterns under maxConcurrentCalls", () => {
  it.live("8 concurrent calls into Router → Parallel → Ensemble with maxConcurrentCalls: 8 all finish", () =>
    Effect.gen(function* () {
      yield* AgentRuntime.register(answering("classifier", "research"))
      yield* AgentRuntime.register(answering("voter-1", "yes"))
      yield* AgentRuntime.register(answering("voter-2", "yes"))
      yield* AgentRuntime.register(answering("voter-3", "no"))
      yield* AgentRuntime.register(answering("facts", "Effect has typed errors."))
      // Early stop interrupts the voter still running once two agree: its permit must come back too.
      yield* AgentRuntime.register(Ensemble.make({ name: "vote", models: ["voter-1", "voter-2", "voter-3"] }))
      yield* AgentRuntime.register(Parallel.make({ name: "research", agents: ["vote", "facts", "vote"] }))
      yield* AgentRuntime.register(Router.make({ name: "support", classifier: "classifier", routes: { research: "research" } }))
      const replies = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => Message.make(`question ${i}`)),
        (question) => AgentRuntime.call("support", question),
        { concurrency: "unbounded" }
      ).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => "deadlocked: the 8 calls did not finish in 20 s" }))
      assert.strictEqual(replies.length, 8)
      for (const reply of replies) assert.include(reply.payload, "Effect has typed errors.")
    }).pipe(Effect.provide(LocalRuntime.layer({ maxConcurrentCalls: 8 }))))
})
