/**
 * `maxConcurrentCalls` bounds work and never deadlocks it, on LocalRuntime and on a DistributedRuntime
 * (two real nodes over gRPC, `loopback`): the README's `maxConcurrentCalls: 8` with patterns nested
 * three deep and as many concurrent callers as permits, and the smallest case (a limit of 1 and one
 * registered Parallel, called by more callers than the limit). A pattern waiting on its steps used
 * to hold a permit they needed, and the callers deadlocked.
 */
import { Agent, AgentRuntime, DistributedRuntime, LocalRuntime, Message } from "@aixfx/core"
import { Ensemble, Parallel, Router } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"

const answering = (name: string, answer: string) => Agent.fromFunction(name, (m) => Message.reply(m, answer))

/** `callers` concurrent calls of `name`, failing (rather than hanging the suite) after 20 s. */
const concurrently = (name: string, callers: number) =>
  Effect.forEach(
    Array.from({ length: callers }, (_, i) => Message.make(`question ${i}`)),
    (question) => AgentRuntime.call(name, question),
    { concurrency: "unbounded" }
  ).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => `deadlocked: the ${callers} calls did not finish in 20 s` }))

const runtimes: ReadonlyArray<readonly [string, (maxConcurrentCalls: number) => Layer.Layer<AgentRuntime.AgentRuntime, unknown>]> = [
  ["LocalRuntime", (maxConcurrentCalls) => LocalRuntime.layer({ maxConcurrentCalls })],
  ["DistributedRuntime", (maxConcurrentCalls) => DistributedRuntime.loopback({ maxConcurrentCalls })]
]

for (const [kind, runtime] of runtimes) {
  describe(`patterns under maxConcurrentCalls, ${kind}`, () => {
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
        const replies = yield* concurrently("support", 8)
        assert.strictEqual(replies.length, 8)
        for (const reply of replies) assert.include(reply.payload, "Effect has typed errors.")
      }).pipe(Effect.provide(runtime(8))))

    it.live("a limit of 1 and one registered Parallel, called by 3 callers at once, finishes", () =>
      Effect.gen(function* () {
        yield* AgentRuntime.register(answering("a", "A"))
        yield* AgentRuntime.register(answering("b", "B"))
        yield* AgentRuntime.register(Parallel.make({ name: "both", agents: ["a", "b"] }))
        const replies = yield* concurrently("both", 3)
        for (const reply of replies) assert.include(reply.payload, "A")
      }).pipe(Effect.provide(runtime(1))))
  })
}
