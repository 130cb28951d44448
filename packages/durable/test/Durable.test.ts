/**
 * Durable runs in one process over real SQLite files: races and early stops replay the way they
 * first went, a journal that no longer fits the code is a typed error, and the Runs API rejects bad
 * input with errors naming the run and approval. A store opened again is a process started again.
 */
import { Agent, AgentRuntime, LocalRuntime, Message, Workflow } from "@aixfx/core"
import { Approval, Durable, JournalMismatch, Runs, Sleep } from "@aixfx/durable"
import { Ensemble, Parallel } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Logger, LogLevel, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "aixfx-durable-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const newStore = () => join(dir, `store-${files++}.db`)

/** Agents answering `answer` after `latencyMs`, counting their calls in `calls`. */
const timed = (calls: Map<string, number>, latencies: Record<string, number>, answers: Record<string, string>) =>
  Object.keys(latencies).map((name) =>
    Agent.make({
      name,
      execute: (input) =>
        Effect.sync(() => calls.set(name, (calls.get(name) ?? 0) + 1)).pipe(
          Effect.zipRight(Effect.sleep(latencies[name]!)),
          Effect.as(Message.reply(input, answers[name] ?? name))
        )
    })
  )

/** The durable stack over `file` with `agents` registered (a fresh "process" each time). */
const stack = (file: string, agents: ReadonlyArray<Agent.Agent<AgentRuntime.AgentRuntime>>) =>
  AgentRuntime.layerAgents<AgentRuntime.AgentRuntime>(...agents).pipe(
    Layer.provideMerge(Durable.layerSqlite({ filename: file, replayStallTimeout: "2 seconds" })),
    Layer.provide(LocalRuntime.layer()),
    Layer.orDie
  )

const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => Logger.withMinimumLogLevel(effect, LogLevel.Warning)

describe("races replay the way they first went", () => {
  it.live("Parallel firstSuccess: the journaled winner wins again, though the other agent is now faster", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      const calls = new Map<string, number>()
      const race = Parallel.make({ name: "race", agents: ["slow", "fast"], aggregate: Parallel.firstSuccess })
      const program = Effect.suspend(() => AgentRuntime.call("race", Message.make("go")))
      const first = yield* Workflow.run("race", { runId: "r1" })(program).pipe(
        Effect.provide(stack(file, [...timed(calls, { slow: 300, fast: 5 }, {}), race]))
      )
      assert.strictEqual(first.payload, "fast")
      const again = yield* Workflow.run("race", { runId: "r1" })(program).pipe(
        Effect.provide(stack(file, [...timed(calls, { slow: 1, fast: 300 }, {}), race]))
      )
      assert.strictEqual(again.payload, "fast")
      assert.strictEqual(again.id, first.id)
      assert.deepStrictEqual(again.metadata["trace"], first.metadata["trace"])
      // Nothing ran again: the replay came from the journal.
      assert.strictEqual(calls.get("fast"), 1)
      assert.strictEqual(calls.get("slow"), 1)
    })), 60_000)

  it.live("Ensemble early stop: the same votes decide and the same voter is interrupted", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      const calls = new Map<string, number>()
      const vote = Ensemble.make({ name: "vote", models: ["v1", "v2", "v3"], strategy: "majority" })
      const answers = { v1: "yes", v2: "yes", v3: "no" }
      const program = Effect.suspend(() => AgentRuntime.call("vote", Message.make("spam?")))
      const first = yield* Workflow.run("vote", { runId: "e1" })(program).pipe(
        Effect.provide(stack(file, [...timed(calls, { v1: 5, v2: 10, v3: 400 }, answers), vote]))
      )
      assert.deepInclude(first.metadata["trace"] as object, { winner: "yes", interrupted: ["v3"] })
      const again = yield* Workflow.run("vote", { runId: "e1" })(program).pipe(
        Effect.provide(stack(file, [...timed(calls, { v1: 300, v2: 300, v3: 1 }, answers), vote]))
      )
      assert.deepStrictEqual(again.metadata["trace"], first.metadata["trace"])
      assert.deepStrictEqual([calls.get("v1"), calls.get("v2"), calls.get("v3")], [1, 1, 1])
    })), 60_000)
})

describe("durable time", () => {
  it.live("a durable sleep suspends the run and the engine wakes it; an approval's deadline decides by onTimeout", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      // (Code between steps runs again after each wake-up, so the time is taken outside the run.)
      const program = Effect.gen(function* () {
        yield* Sleep.sleep("cool-down", "1 second")
        const approved = yield* Approval.request({ name: "late", payload: { ok: true }, deadline: "1 second", onTimeout: "approve" })
        const rejected = yield* Effect.flip(Approval.request({ name: "later", payload: 1, deadline: "1 second" }))
        return { approved, rejected: rejected._tag === "ApprovalRejected" ? rejected.reason : rejected._tag }
      })
      const started = Date.now()
      const out = yield* Workflow.run("timers", { runId: "t1" })(program).pipe(Effect.provide(stack(file, [])))
      // Three timers of one second, one after the other.
      assert.isAtLeast(Date.now() - started, 3000)
      assert.deepStrictEqual(out.approved, { ok: true })
      assert.strictEqual(out.rejected, "the deadline passed with no decision")
      const [run] = yield* Runs.list.pipe(Effect.provide(stack(file, [])))
      assert.strictEqual(run!.status, "done")
    })), 60_000)
})

/** An application's own error (core's AgentError union is open to it). */
class OutOfStock extends Schema.TaggedError<OutOfStock>()("OutOfStock", { message: Schema.String, sku: Schema.String }) {}
declare module "@aixfx/core" {
  interface CustomAgentErrors {
    OutOfStock: OutOfStock
  }
}

describe("an application's own errors", () => {
  it.live("a step failing with one is journaled and replays as the same class, caught by tag (schema from the agent or the layer)", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      const calls = new Map<string, number>()
      const fail = (name: string) => () =>
        Effect.sync(() => calls.set(name, (calls.get(name) ?? 0) + 1)).pipe(
          Effect.zipRight(Effect.fail(new OutOfStock({ sku: `sku-${name}`, message: `${name}: out of stock` })))
        )
      // One agent says which errors it fails with; the other's come from the layer's `errors`.
      const agents = [Agent.make({ name: "shop", errors: [OutOfStock], execute: fail("shop") }), Agent.make({ name: "depot", execute: fail("depot") })]
      const layer = () =>
        AgentRuntime.layerAgents<AgentRuntime.AgentRuntime>(...agents).pipe(
          Layer.provideMerge(Durable.layerSqlite({ filename: file, replayStallTimeout: "2 seconds", errors: [OutOfStock] })),
          Layer.provide(LocalRuntime.layer()),
          Layer.orDie
        )
      const program = Effect.suspend(() =>
        Effect.all([
          Effect.flip(AgentRuntime.call("shop", Message.make("order"))),
          Effect.flip(AgentRuntime.call("depot", Message.make("order")))
        ])
      )
      const caught = (runId: string) =>
        Workflow.run("order", { runId })(
          Effect.flatMap(program, ([a, b]) => Effect.zipRight(Effect.succeed([a, b]), Effect.fail(a)))
        ).pipe(Effect.provide(layer()), Effect.map(() => undefined), Effect.catchTag("OutOfStock", (e) => Effect.succeed(e)))
      const first = yield* caught("o1")
      assert.instanceOf(first, OutOfStock)
      // Started again ("another process"): the journal gives the same classes back; no agent runs.
      const [shop, depot] = yield* Workflow.run("order", { runId: "o1" })(program).pipe(Effect.provide(layer()))
      assert.instanceOf(shop, OutOfStock)
      assert.instanceOf(depot, OutOfStock)
      assert.deepStrictEqual([shop._tag === "OutOfStock" && shop.sku, depot._tag === "OutOfStock" && depot.sku], ["sku-shop", "sku-depot"])
      assert.strictEqual(shop.message, "shop: out of stock")
      const again = yield* caught("o1")
      assert.instanceOf(again, OutOfStock)
      assert.deepStrictEqual([calls.get("shop"), calls.get("depot")], [1, 1])
    })), 60_000)
})

describe("cancel", () => {
  it.live("cancel while a step runs: the step is interrupted, the run ends RunCancelled, and it never runs again", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      let calls = 0
      let interrupted = false
      const started = yield* Deferred.make<void>()
      const slow = Agent.make({
        name: "slow",
        execute: (input) =>
          Effect.sync(() => calls++).pipe(
            Effect.zipRight(Deferred.succeed(started, undefined)),
            Effect.zipRight(Effect.sleep("60 seconds")),
            Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))),
            Effect.as(Message.reply(input, "late"))
          )
      })
      const program = Effect.suspend(() => AgentRuntime.call("slow", Message.make("work")))
      const running = yield* Effect.fork(Workflow.run("job", { runId: "c1" })(program).pipe(Effect.provide(stack(file, [slow]))))
      yield* Deferred.await(started)
      // From a store-only client, as the CLI is (another connection to the file).
      yield* Runs.cancel("c1").pipe(Effect.provide(Durable.layerClient({ filename: file }).pipe(Layer.orDie)))
      const exit = yield* Fiber.await(running).pipe(Effect.timeout("20 seconds"))
      assert.isTrue(interrupted)
      const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
      assert.strictEqual(error?._tag === "Some" ? error.value._tag : String(exit), "RunCancelled")
      // Started again, or resumed: a typed RunCancelled; the step does not run again.
      const again = yield* Effect.flip(Workflow.run("job", { runId: "c1" })(program).pipe(Effect.provide(stack(file, [slow]))))
      assert.strictEqual(again._tag, "RunCancelled")
      assert.strictEqual(again.message, `Run "c1" was cancelled; it does not run again`)
      const resumed = yield* Effect.flip(Runs.resume("c1").pipe(Effect.provide(stack(file, [slow]))))
      assert.strictEqual(resumed._tag, "RunCancelled")
      const info = yield* Runs.get("c1").pipe(Effect.provide(stack(file, [slow])))
      assert.strictEqual(info.status, "cancelled")
      assert.strictEqual(calls, 1)
    })), 60_000)
})

describe("cancel a waiting run", () => {
  it.live("cancel while it waits for an approval: its caller gets RunCancelled and the store says cancelled", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      const layer = stack(file, [])
      const waiting = yield* Effect.fork(Workflow.run("ask", { runId: "c2" })(Approval.request({ name: "ship", payload: 1 })).pipe(Effect.provide(layer)))
      const client = Durable.layerClient({ filename: file }).pipe(Layer.orDie)
      for (let i = 0; (yield* Effect.either(Runs.get("c2").pipe(Effect.provide(client)))).pipe((r) => r._tag === "Left" || r.right.status !== "suspended"); i++) {
        assert.isBelow(i, 200, "the run never suspended")
        yield* Effect.sleep("100 millis")
      }
      yield* Runs.cancel("c2").pipe(Effect.provide(client))
      const error = yield* Effect.flip(Fiber.join(waiting)).pipe(Effect.timeout("20 seconds"))
      assert.strictEqual(error._tag, "RunCancelled")
      assert.strictEqual((yield* Runs.get("c2").pipe(Effect.provide(client))).status, "cancelled")
    })), 60_000)
})

describe("bad input is a typed error naming the run", () => {
  it.live("a journal written by an older version whose steps changed: JournalMismatch in the error channel, the journal untouched", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      const calls = new Map<string, number>()
      const agents = timed(calls, { echo: 1 }, {})
      const v1 = Effect.suspend(() => AgentRuntime.call("echo", Message.make("version 1")))
      yield* Workflow.run("wf", { runId: "m1" })(v1).pipe(Effect.provide(stack(file, agents)))
      const v2 = Effect.suspend(() => AgentRuntime.call("echo", Message.make("version 2")))
      // Caught by its tag: a typed failure of the run, not a defect.
      const error = yield* Workflow.run("wf", { runId: "m1" })(v2).pipe(
        Effect.provide(stack(file, agents)),
        Effect.map(() => undefined),
        Effect.catchTag("JournalMismatch", (e) => Effect.succeed(e))
      )
      assert.instanceOf(error, JournalMismatch)
      assert.strictEqual(error!.runId, "m1")
      assert.strictEqual(error!.step, "/echo:echo")
      assert.include(error!.message, `Run "m1"`)
      assert.include(error!.message, `at step "/echo:echo"`)
      assert.include(error!.message, `"version 2"`)
      assert.strictEqual(calls.get("echo"), 1)
      // The run is as it was: done, and replaying v1 still gives its answer.
      const replayed = yield* Workflow.run("wf", { runId: "m1" })(v1).pipe(Effect.provide(stack(file, agents)))
      assert.strictEqual(replayed.payload, "echo")
      assert.strictEqual(calls.get("echo"), 1)
    })), 60_000)

  it.live("a mismatch fails the run even where the code handles the failed step, and nothing more is journaled", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      const calls = new Map<string, number>()
      const agents = timed(calls, { echo: 1, other: 1 }, {})
      const v1 = Effect.suspend(() => AgentRuntime.call("echo", Message.make("version 1")))
      yield* Workflow.run("wf", { runId: "m2" })(v1).pipe(Effect.provide(stack(file, agents)))
      // The new version swallows the step's failure and goes on to another step.
      const v2 = Effect.suspend(() =>
        Effect.zipRight(Effect.either(AgentRuntime.call("echo", Message.make("version 2"))), AgentRuntime.call("other", Message.make("next")))
      )
      const exit = yield* Effect.exit(Workflow.run("wf", { runId: "m2" })(v2).pipe(Effect.provide(stack(file, agents))))
      assert.isTrue(Exit.isFailure(exit) && Cause.failureOption(exit.cause).pipe((e) => e._tag === "Some" && e.value._tag === "JournalMismatch"))
      assert.isUndefined(calls.get("other"))
      const steps = yield* Effect.flatMap(Durable.Durable, (d) => d.store.steps("m2")).pipe(Effect.provide(stack(file, agents)))
      assert.deepStrictEqual(steps.map((s) => s.key), ["/echo:echo"])
    })), 60_000)

  it.live("steps a version no longer takes: JournalMismatch after the replay stalls, naming the steps never asked for", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      const agents = timed(new Map(), { echo: 1, other: 1 }, {})
      yield* Workflow.run("wf", { runId: "m3" })(Effect.suspend(() => AgentRuntime.call("echo", Message.make("hi")))).pipe(
        Effect.provide(stack(file, agents))
      )
      const error = yield* Effect.flip(
        Workflow.run("wf", { runId: "m3" })(Effect.suspend(() => AgentRuntime.call("other", Message.make("hi")))).pipe(Effect.provide(stack(file, agents)))
      )
      assert.strictEqual(error._tag, "JournalMismatch")
      assert.include(error.message, `step "/other:other"`)
      assert.include(error.message, "/echo:echo were never asked for")
    })), 60_000)

  it.live("Runs: unknown run, an approval it is not waiting for, a decision made twice", () =>
    quiet(Effect.gen(function* () {
      const file = newStore()
      const agents = timed(new Map(), { echo: 1 }, {})
      yield* Effect.gen(function* () {
        const outcome = yield* Durable.start("ask", "a1")(Approval.request({ name: "ship", payload: { version: 2 } }))
        assert.deepStrictEqual(outcome, { _tag: "Suspended", awaiting: ["ship"] })
        const unknown = yield* Effect.flip(Runs.approve("nope", "ship"))
        assert.strictEqual(unknown._tag, "RunNotFound")
        assert.strictEqual(unknown.message, `No durable run "nope" in the store`)
        assert.strictEqual((yield* Effect.flip(Runs.resume("nope")))._tag, "RunNotFound")
        const notWaiting = yield* Effect.flip(Runs.approve("a1", "deploy"))
        assert.strictEqual(notWaiting._tag, "RunNotWaiting")
        assert.include(notWaiting.message, `Run "a1" is not waiting for approval "deploy" (it is suspended, awaiting ship)`)
        yield* Runs.reject("a1", "ship", "too risky")
        const twice = yield* Effect.flip(Runs.approve("a1", "ship"))
        assert.strictEqual(twice._tag, "ApprovalAlreadyDecided")
        assert.strictEqual(twice.message, `Approval "ship" of run "a1" was already rejected; a decision is final`)
        const [run] = yield* Runs.list
        assert.strictEqual(run!.runId, "a1")
      }).pipe(Effect.provide(stack(file, agents)))
    })), 60_000)

  it.effect("an approval outside a durable run is NotInDurableRun", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Approval.request({ name: "x", payload: 1 }))
      assert.strictEqual(error._tag, "NotInDurableRun")
      assert.include(error.message, "Workflow.run")
    }))
})
