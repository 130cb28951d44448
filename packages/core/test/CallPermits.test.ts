/**
 * `maxConcurrentCalls` under nesting, as a property: for any tree of agents calling agents (fan-outs
 * through `callAll`, sequences through `call`), any limit and any number of concurrent callers,
 * every call finishes, and no more than `limit` leaf agents ever run at once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Agent, AgentRuntime, LocalRuntime, Message } from "@aixfx/core"
import { Effect, FastCheck as fc } from "effect"

type Tree = { readonly kind: "leaf" } | { readonly kind: "fan" | "sequence"; readonly children: ReadonlyArray<Tree> }

const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant<Tree>({ kind: "leaf" }),
    fc.record({ kind: fc.constantFrom("fan" as const, "sequence" as const), children: fc.array(tie("tree"), { minLength: 1, maxLength: 4 }) })
  )
})).tree

/** Registers one agent per node of `root` (named by its path) and returns the root's name. */
const registerTree = (root: Tree, leafBusy: { now: number; peak: number }) =>
  Effect.gen(function* () {
    const register = (node: Tree, name: string): Effect.Effect<void, unknown, AgentRuntime.AgentRuntime> =>
      Effect.gen(function* () {
        if (node.kind === "leaf") {
          return yield* AgentRuntime.register(Agent.make({
            name,
            execute: (m) =>
              Effect.gen(function* () {
                leafBusy.now++
                leafBusy.peak = Math.max(leafBusy.peak, leafBusy.now)
                // Work that takes a few turns of the scheduler, so that leaves overlap.
                for (let i = 0; i < 3; i++) yield* Effect.yieldNow()
                leafBusy.now--
                return m
              })
          }))
        }
        const children = node.children.map((_, i) => `${name}-${i}`)
        yield* Effect.forEach(node.children, (child, i) => register(child, children[i]!), { discard: true })
        yield* AgentRuntime.register(Agent.make({
          name,
          execute: (m) =>
            node.kind === "fan"
              ? Effect.as(AgentRuntime.callAll(children, m), m)
              : Effect.as(Effect.forEach(children, (child) => AgentRuntime.call(child, m), { discard: true }), m)
        }))
      })
    yield* register(root, "root")
    return "root"
  })

describe("maxConcurrentCalls with agents calling agents", () => {
  it.live.prop(
    "every call finishes and at most `limit` leaves run at once, for any nesting, limit and callers",
    { root: tree, limit: fc.integer({ min: 1, max: 4 }), callers: fc.integer({ min: 1, max: 10 }) },
    ({ callers, limit, root }) =>
      Effect.gen(function* () {
        const leafBusy = { now: 0, peak: 0 }
        const name = yield* registerTree(root, leafBusy)
        const replies = yield* Effect.forEach(
          Array.from({ length: callers }, (_, i) => Message.make(String(i))),
          (message) => AgentRuntime.call(name, message),
          { concurrency: "unbounded" }
        ).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => `deadlocked: ${callers} callers, limit ${limit}, tree ${JSON.stringify(root)}` }))
        assert.strictEqual(replies.length, callers)
        assert.isAtMost(leafBusy.peak, limit)
        assert.isAtLeast(leafBusy.peak, 1)
      }).pipe(Effect.provide(LocalRuntime.layer({ maxConcurrentCalls: limit }))),
    { timeout: 120_000, fastCheck: { numRuns: 40, endOnFailure: true } }
  )

  it.live("a call timed out while its steps wait gives every permit back", () =>
    Effect.gen(function* () {
      // limit 1: the first call's steps never end; its timeout must leave the permit free.
      const stuck = Agent.make({ name: "stuck", execute: () => Effect.never })
      const fan = Agent.make({ name: "fan", execute: (m) => Effect.as(AgentRuntime.callAll(["stuck", "stuck"], m), m) })
      const echo = Agent.fromFunction("echo", (m) => m)
      yield* AgentRuntime.register(stuck)
      yield* AgentRuntime.register(fan)
      yield* AgentRuntime.register(echo)
      const timedOut = yield* Effect.flip(AgentRuntime.call("fan", Message.make("x"), { timeout: "50 millis" }))
      assert.strictEqual(timedOut._tag, "CallTimeout")
      const reply = yield* AgentRuntime.call("echo", Message.make("after"), { timeout: "5 seconds" })
      assert.strictEqual(reply.payload, "after")
    }).pipe(Effect.provide(LocalRuntime.layer({ maxConcurrentCalls: 1 }))))
})
