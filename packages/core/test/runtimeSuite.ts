/**
 * The AgentRuntime contract, written once. Each runtime's test file runs it with its own layer
 * (LocalRuntime here; DistributedRuntime runs the same suite), so both are held to one behaviour.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  Agent,
  AgentRuntime,
  AgentFailed,
  CallContext,
  Message,
  type LocalRuntime
} from "@aixfx/core"
import { Context, Deferred, Duration, Effect, Either, Exit, Fiber, Layer, Option, Ref, Scope, TestClock, TestServices } from "effect"

/** Builds the runtime under test with the given options. */
export type MakeRuntime = (options: LocalRuntime.Options) => Layer.Layer<AgentRuntime.AgentRuntime>

class Greeting extends Context.Tag("Greeting")<Greeting, string>() {}

const echo = Agent.fromFunction("echo", (m) => Message.reply(m, `echo: ${m.payload}`))
const failing = Agent.make({ name: "failing", execute: () => Effect.fail(AgentFailed.of("failing", "it always fails")) })

/** An agent that says it `started`, then waits until interrupted, and runs `onInterrupt` then. */
const hanging = (name: string, started: Deferred.Deferred<void>, onInterrupt: Effect.Effect<unknown>) =>
  Agent.make({
    name,
    execute: () => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never), Effect.onInterrupt(() => onInterrupt))
  })

/**
 * Waits until `check` holds, bounded in real time (not in turns: a runtime whose calls cross a
 * network or a database needs wall-clock time, whatever the test's clock is).
 */
const eventually = (check: Effect.Effect<boolean>, within: Duration.DurationInput = "30 seconds") =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(within)
    while (Date.now() <= deadline) {
      if (yield* check) return
      yield* TestServices.provideLive(Effect.sleep("5 millis"))
    }
    return yield* Effect.dieMessage(`condition not reached in ${Duration.format(within)}`)
  })

/** Runs each test's body some other way, e.g. inside a durable run (the runtime is provided outside it). */
export type Around = <A, E>(effect: Effect.Effect<A, E, AgentRuntime.AgentRuntime>) => Effect.Effect<A, E, AgentRuntime.AgentRuntime>

export const runtimeSuite = (label: string, makeRuntime: MakeRuntime, around: Around = (effect) => effect) =>
  describe(`AgentRuntime contract: ${label}`, () => {
    const withRuntime = <A, E>(effect: Effect.Effect<A, E, AgentRuntime.AgentRuntime>, options: LocalRuntime.Options = {}) =>
      Effect.provide(around(effect), makeRuntime(options))

    /** The runtime under test in a scope of its own, for tests that close it while calls run. */
    const runtimeInScope = Effect.gen(function* () {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(makeRuntime({}), scope)
      return { runtime: Context.get(context, AgentRuntime.AgentRuntime), scope }
    })

    it.effect("calls a registered agent and returns its reply", () =>
      withRuntime(
        Effect.gen(function* () {
          yield* AgentRuntime.register(echo)
          const input = Message.make("hello")
          const out = yield* AgentRuntime.call("echo", input)
          assert.strictEqual(out.payload, "echo: hello")
          assert.strictEqual(out.metadata["inReplyTo"], input.id)
          assert.notStrictEqual(out.id, input.id)
          const listed = yield* AgentRuntime.list
          assert.deepStrictEqual(listed.map((a) => [a.name, a.ready]), [["echo", true]])
        })
      ))

    it.effect("an unknown agent fails with AgentNotFound listing the registered names", () =>
      withRuntime(
        Effect.gen(function* () {
          yield* AgentRuntime.register(echo)
          const error = yield* Effect.flip(AgentRuntime.call("nobody", Message.make("x")))
          assert.strictEqual(error._tag, "AgentNotFound")
          if (error._tag !== "AgentNotFound") return
          assert.deepStrictEqual(error.available, ["echo"])
          assert.include(error.message, `"nobody"`)
          assert.include(error.message, "echo")
        })
      ))

    it.effect("invalid names are rejected with a clear error, at register and at call", () =>
      withRuntime(
        Effect.gen(function* () {
          const bad = yield* Effect.flip(AgentRuntime.register(Agent.fromFunction("Bad Name", (m) => m)))
          assert.strictEqual(bad._tag, "InvalidAgentName")
          assert.include(bad.message, "^[a-z][a-z0-9_-]{0,63}$")
          const atCall = yield* Effect.flip(AgentRuntime.call("UPPER", Message.make("x")))
          assert.strictEqual(atCall._tag, "InvalidAgentName")
          const dup = yield* AgentRuntime.register(echo).pipe(Effect.zipRight(Effect.flip(AgentRuntime.register(echo))))
          assert.strictEqual(dup._tag, "AgentAlreadyRegistered")
        })
      ))

    it.effect("an agent's own typed error passes through unchanged", () =>
      withRuntime(
        Effect.gen(function* () {
          yield* AgentRuntime.register(failing)
          const error = yield* Effect.flip(AgentRuntime.call("failing", Message.make("x")))
          assert.instanceOf(error, AgentFailed)
          assert.strictEqual(error.message, `Agent "failing" failed: it always fails`)
        })
      ))

    it.effect("a call that takes too long fails with CallTimeout (TestClock)", () =>
      withRuntime(
        Effect.gen(function* () {
          const slow = Agent.make({ name: "slow", execute: (m) => Effect.as(Effect.sleep("10 seconds"), m) })
          yield* AgentRuntime.register(slow)
          const fiber = yield* Effect.fork(AgentRuntime.call("slow", Message.make("x"), { timeout: "1 second" }))
          yield* TestClock.adjust("1 second")
          const error = yield* Effect.flip(Fiber.join(fiber))
          assert.strictEqual(error._tag, "CallTimeout")
          if (error._tag === "CallTimeout") assert.strictEqual(error.timeoutMs, 1000)
        })
      ))

    it.effect("the runtime's default callTimeout applies", () =>
      withRuntime(
        Effect.gen(function* () {
          yield* AgentRuntime.register(Agent.make({ name: "slow", execute: (m) => Effect.as(Effect.sleep("1 minute"), m) }))
          const fiber = yield* Effect.fork(AgentRuntime.call("slow", Message.make("x")))
          yield* TestClock.adjust("500 millis")
          assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
          yield* TestClock.adjust("500 millis")
          const error = yield* Effect.flip(Fiber.join(fiber))
          assert.strictEqual(error._tag, "CallTimeout")
        }),
        { callTimeout: "1 second" }
      ))

    it.effect("never more than maxConcurrentCalls calls in flight (measured inside the agent)", () =>
      withRuntime(
        Effect.gen(function* () {
          const inFlight = yield* Ref.make(0)
          const peak = yield* Ref.make(0)
          const gate = yield* Deferred.make<void>()
          const probe = Agent.make({
            name: "probe",
            execute: (m) =>
              Effect.gen(function* () {
                const now = yield* Ref.updateAndGet(inFlight, (n) => n + 1)
                yield* Ref.update(peak, (p) => Math.max(p, now))
                yield* Deferred.await(gate)
                yield* Ref.update(inFlight, (n) => n - 1)
                return m
              })
          })
          yield* AgentRuntime.register(probe)
          const fiber = yield* Effect.fork(
            Effect.forEach(Array.from({ length: 12 }, (_, i) => i), (i) => AgentRuntime.call("probe", Message.make(String(i))), {
              concurrency: "unbounded"
            })
          )
          yield* eventually(Effect.map(Ref.get(inFlight), (n) => n === 3))
          for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
          assert.strictEqual(yield* Ref.get(inFlight), 3)
          yield* Deferred.succeed(gate, undefined)
          const results = yield* Fiber.join(fiber)
          assert.strictEqual(results.length, 12)
          assert.strictEqual(yield* Ref.get(peak), 3)
        }),
        { maxConcurrentCalls: 3 }
      ))

    it.live("a limit never deadlocks agents that call agents: limit 1, callers nesting fan-outs and chains", () =>
      withRuntime(
        Effect.gen(function* () {
          // "fan" waits on two calls at once, "chain" on "fan": before a waiting call gave its
          // permit back, the first of them held the only permit its own steps waited for.
          const fan = Agent.make({ name: "fan", execute: (m) => Effect.as(AgentRuntime.callAll(["echo", "echo"], m), m) })
          const chain = Agent.make({ name: "chain", execute: (m) => AgentRuntime.call("fan", m) })
          yield* AgentRuntime.register(echo)
          yield* AgentRuntime.register(fan)
          yield* AgentRuntime.register(chain)
          const replies = yield* Effect.forEach(
            Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? "fan" : "chain")),
            (name) => AgentRuntime.call(name, Message.make(name)),
            { concurrency: "unbounded" }
          ).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => "deadlocked: the calls did not finish in 20 s" }))
          assert.deepStrictEqual(replies.map((m) => m.payload), ["fan", "chain", "fan", "chain", "fan", "chain", "fan", "chain"])
        }),
        { maxConcurrentCalls: 1 }
      ))

    it.effect("callAll returns every success and typed failure in input order", () =>
      withRuntime(
        Effect.gen(function* () {
          yield* AgentRuntime.register(echo)
          yield* AgentRuntime.register(failing)
          const results = yield* AgentRuntime.callAll(["failing", "echo", "missing", "echo"], Message.make("q"))
          assert.deepStrictEqual(
            results.map(Either.match({ onLeft: (e) => `error:${e._tag}`, onRight: (m) => m.payload })),
            ["error:AgentFailed", "echo: q", "error:AgentNotFound", "echo: q"]
          )
        })
      ))

    it.effect("callAll runs each call as its agent, with what the agent was registered with", () =>
      withRuntime(
        Effect.gen(function* () {
          const says = (name: string) =>
            Agent.make({
              name,
              execute: (m) => Effect.map(Effect.zip(Greeting, CallContext.get), ([greeting, ctx]) => Message.reply(m, `${greeting} from ${ctx.agent}`))
            })
          yield* AgentRuntime.register(says("one")).pipe(Effect.provideService(Greeting, "hello"))
          yield* AgentRuntime.register(says("two")).pipe(Effect.provideService(Greeting, "hi"))
          const results = yield* AgentRuntime.callAll(["one", "two", "one"], Message.make("q"))
          assert.deepStrictEqual(results.map((r) => Either.getOrThrow(r).payload), ["hello from one", "hi from two", "hello from one"])
        })
      ))

    it.effect("closing the runtime interrupts a callAll's caller and every call in it, then stops the agents", () =>
      Effect.gen(function* () {
        const { runtime, scope } = yield* runtimeInScope
        const events = yield* Ref.make<ReadonlyArray<string>>([])
        const log = (event: string) => Ref.update(events, (e) => [...e, event])
        const started = [yield* Deferred.make<void>(), yield* Deferred.make<void>()] as const
        for (const [i, name] of ["a", "b"].entries()) {
          yield* runtime.register({ ...hanging(name, started[i]!, log(`${name} interrupted`)), start: Effect.addFinalizer(() => log(`${name} stopped`)) })
        }
        const caller = yield* Effect.fork(runtime.callAll(["a", "b"], Message.make("x")))
        yield* Deferred.await(started[0])
        yield* Deferred.await(started[1])
        yield* Scope.close(scope, Exit.void)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(caller)))
        const all = yield* Ref.get(events)
        assert.sameMembers([...all.slice(0, 2)], ["a interrupted", "b interrupted"], "both calls ended before any agent stopped")
        assert.sameMembers([...all.slice(2)], ["a stopped", "b stopped"])
      }))

    it.effect("a full mailbox makes send wait (backpressure, nothing dropped)", () =>
      withRuntime(
        Effect.gen(function* () {
          yield* AgentRuntime.register(echo)
          yield* AgentRuntime.send("echo", Message.make("1"))
          yield* AgentRuntime.send("echo", Message.make("2"))
          const third = yield* Effect.fork(AgentRuntime.send("echo", Message.make("3")))
          for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
          assert.isTrue(Option.isNone(yield* Fiber.poll(third)), "the third send waits while the mailbox is full")
          assert.strictEqual((yield* AgentRuntime.receive("echo")).payload, "1")
          yield* Fiber.join(third)
          assert.strictEqual((yield* AgentRuntime.receive("echo")).payload, "2")
          assert.strictEqual((yield* AgentRuntime.receive("echo")).payload, "3")
          const unknown = yield* Effect.flip(AgentRuntime.send("ghost", Message.make("x")))
          assert.strictEqual(unknown._tag, "AgentNotFound")
        }),
        { channelBufferSize: 2 }
      ))

    it.effect("an agent's start runs at register and its finalizers at unregister", () =>
      withRuntime(
        Effect.gen(function* () {
          const events = yield* Ref.make<ReadonlyArray<string>>([])
          const log = (e: string) => Ref.update(events, (all) => [...all, e])
          const ready = yield* Ref.make(false)
          const lifecycle = Agent.make({
            name: "lifecycle",
            execute: (m) => Effect.succeed(m),
            start: Effect.acquireRelease(log("start"), () => log("stop")),
            ready: Ref.get(ready)
          })
          yield* AgentRuntime.register(lifecycle)
          const notReady = yield* Effect.flip(AgentRuntime.call("lifecycle", Message.make("x")))
          assert.strictEqual(notReady._tag, "AgentNotReady")
          yield* Ref.set(ready, true)
          yield* AgentRuntime.call("lifecycle", Message.make("x"))
          const runtime = yield* AgentRuntime.AgentRuntime
          yield* runtime.unregister("lifecycle")
          assert.deepStrictEqual(yield* Ref.get(events), ["start", "stop"])
          assert.isFalse(yield* runtime.ready("lifecycle"))
        })
      ))

    it.effect("closing the runtime's scope interrupts the callers inside calls and stops every agent", () =>
      Effect.gen(function* () {
        const { runtime, scope } = yield* runtimeInScope
        const started = yield* Deferred.make<void>()
        const events = yield* Ref.make<ReadonlyArray<string>>([])
        const hang = {
          ...hanging("hang", started, Ref.update(events, (e) => [...e, "interrupted"])),
          start: Effect.addFinalizer(() => Ref.update(events, (e) => [...e, "stopped"]))
        }
        yield* runtime.register(hang)
        const call = yield* Effect.fork(runtime.call("hang", Message.make("x")))
        yield* Deferred.await(started)
        yield* Scope.close(scope, Exit.void)
        // The call runs on the caller's fiber, so the caller is interrupted (by the closing fiber),
        // and the close waited for it: the agent's interruption ran before the agent stopped.
        const exit = yield* Fiber.await(call)
        assert.isTrue(Exit.isInterrupted(exit), "the caller inside the call was interrupted")
        assert.deepStrictEqual(yield* Ref.get(events), ["interrupted", "stopped"])
        const after = yield* Effect.flip(runtime.call("hang", Message.make("x")))
        assert.strictEqual(after._tag, "RuntimeStopped")
      }))

    it.effect("closing the runtime leaves alone a caller whose calls all ended, however they ended", () =>
      Effect.gen(function* () {
        const { runtime, scope } = yield* runtimeInScope
        yield* runtime.register(echo)
        yield* runtime.register(failing)
        const hangStarted = yield* Deferred.make<void>()
        yield* runtime.register(
          Agent.make({ name: "hang", execute: () => Effect.zipRight(Deferred.succeed(hangStarted, undefined), Effect.never) })
        )
        const calledAll = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const caller = yield* Effect.fork(
          Effect.gen(function* () {
            yield* runtime.call("echo", Message.make("a"))
            yield* Effect.flip(runtime.call("failing", Message.make("b")))
            // A call interrupted by a timeout of the caller's own.
            yield* Effect.timeout(runtime.call("hang", Message.make("c")), "1 second").pipe(Effect.option)
            yield* Deferred.succeed(calledAll, undefined)
            yield* Deferred.await(release)
            return "done"
          })
        )
        yield* Deferred.await(hangStarted)
        yield* TestClock.adjust("1 second")
        yield* Deferred.await(calledAll)
        yield* Scope.close(scope, Exit.void)
        yield* Deferred.succeed(release, undefined)
        assert.strictEqual(yield* Fiber.join(caller), "done")
      }))

    it.effect("a call nested inside another on the same fiber is interrupted with it when the runtime closes", () =>
      Effect.gen(function* () {
        const { runtime, scope } = yield* runtimeInScope
        const started = yield* Deferred.make<void>()
        const events = yield* Ref.make<ReadonlyArray<string>>([])
        yield* runtime.register(hanging("inner", started, Ref.update(events, (e) => [...e, "inner interrupted"])))
        // The outer agent calls the inner one on its own fiber (no fork).
        yield* runtime.register(
          Agent.make({
            name: "outer",
            execute: (input) =>
              runtime.call("inner", input).pipe(
                Effect.ensuring(Ref.update(events, (e) => [...e, "outer ended"]))
              )
          })
        )
        const call = yield* Effect.fork(runtime.call("outer", Message.make("x")))
        yield* Deferred.await(started)
        yield* Scope.close(scope, Exit.void)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(call)))
        // Over gRPC the inner call is a request of its own on the serving node, so the order varies.
        assert.sameMembers([...(yield* Ref.get(events))], ["inner interrupted", "outer ended"])
      }))

    it.effect("interrupting the caller interrupts the agent's execution", () =>
      withRuntime(
        Effect.gen(function* () {
          const started = yield* Deferred.make<void>()
          const interrupted = yield* Deferred.make<void>()
          yield* AgentRuntime.register(hanging("hang", started, Deferred.succeed(interrupted, undefined)))
          const call = yield* Effect.fork(AgentRuntime.call("hang", Message.make("x")))
          yield* Deferred.await(started)
          yield* Fiber.interrupt(call)
          yield* Deferred.await(interrupted)
        })
      ))
  })
