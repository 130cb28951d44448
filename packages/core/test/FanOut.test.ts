import { assert, describe, it } from "@effect/vitest"
import { CallContext, FanOut } from "@aixfx/core"
import { Cause, Context, Deferred, Effect, Either, Exit, Fiber, Option, Ref, TestClock } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

/** A full garbage collection (exposes `gc` when the worker was not started with --expose-gc). */
const collectGarbage = (): void => {
  setFlagsFromString("--expose-gc")
  ;(runInNewContext("gc") as () => void)()
}

class Greeting extends Context.Tag("Greeting")<Greeting, string>() {}

describe("FanOut.either", () => {
  it.effect("collects every success and typed failure in input order, whatever order they end in", () =>
    Effect.gen(function* () {
      const branch = (i: number) =>
        Effect.sleep(`${10 - i} millis`).pipe(Effect.zipRight(i % 3 === 0 ? Effect.fail(`failed ${i}`) : Effect.succeed(i)))
      const fiber = yield* Effect.fork(FanOut.either(Array.from({ length: 10 }, (_, i) => branch(i))))
      yield* TestClock.adjust("10 millis")
      const outcomes = yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        outcomes,
        Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? Either.left(`failed ${i}`) : Either.right(i)))
      )
    }))

  it.effect("runs the branches at once", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(FanOut.either(Array.from({ length: 100 }, () => Effect.sleep("50 millis"))))
      yield* TestClock.adjust("50 millis")
      assert.strictEqual((yield* Fiber.join(fiber)).length, 100)
    }))

  it.effect("of nothing is nothing", () => Effect.map(FanOut.either([]), (outcomes) => assert.deepStrictEqual(outcomes, [])))

  it.effect("a defect in one branch interrupts the others and fails the fan-out with it", () =>
    Effect.gen(function* () {
      const interrupted = yield* Ref.make(0)
      const hangsStarted = yield* Effect.makeLatch(false)
      const started = yield* Ref.make(0)
      const hang = Ref.updateAndGet(started, (n) => n + 1).pipe(
        Effect.tap((n) => (n === 2 ? hangsStarted.open : Effect.void)),
        Effect.zipRight(Effect.never),
        Effect.onInterrupt(() => Ref.update(interrupted, (n) => n + 1))
      )
      // The defect comes once both other branches are running.
      const boom = Effect.zipRight(hangsStarted.await, Effect.dieMessage("boom"))
      const exit = yield* Effect.exit(FanOut.either([hang, boom, hang]))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      assert.strictEqual(yield* Ref.get(interrupted), 2)
    }))

  it.effect("interrupting the caller interrupts every branch and waits for its finalizers", () =>
    Effect.gen(function* () {
      const started = yield* Ref.make(0)
      const finalized = yield* Ref.make(0)
      const allStarted = yield* Deferred.make<void>()
      const branch = Effect.gen(function* () {
        if ((yield* Ref.updateAndGet(started, (n) => n + 1)) === 5) yield* Deferred.succeed(allStarted, undefined)
        return yield* Effect.never
      }).pipe(
        // A finalizer that takes a few turns of the scheduler: the interrupt must wait for it.
        Effect.onInterrupt(() => Effect.repeatN(Effect.yieldNow(), 10).pipe(Effect.zipRight(Ref.update(finalized, (n) => n + 1))))
      )
      const fiber = yield* Effect.fork(FanOut.either(Array.from({ length: 5 }, () => branch)))
      yield* Deferred.await(allStarted)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(yield* Ref.get(finalized), 5)
    }))

  it.live("a branch's fiber is let go as it ends, while others still run", () =>
    Effect.gen(function* () {
      const release = yield* Deferred.make<void>()
      let ended: WeakRef<object> | undefined
      const quick = Effect.withFiberRuntime((fiber) => {
        ended = new WeakRef(fiber)
        return Effect.succeed("quick")
      })
      const fiber = yield* Effect.fork(FanOut.either([quick, Effect.as(Deferred.await(release), "slow")]))
      // Let the quick branch's exit settle, then collect: only the fan-out could still hold its fiber.
      yield* Effect.sleep("10 millis")
      collectGarbage()
      assert.isUndefined(ended?.deref(), "the ended branch's fiber is still reachable")
      yield* Deferred.succeed(release, undefined)
      assert.deepStrictEqual((yield* Fiber.join(fiber)).map(Either.getOrThrow), ["quick", "slow"])
    }))

  it.effect("branches run with the caller's context and call context", () =>
    Effect.gen(function* () {
      const seen = Effect.zip(Greeting, CallContext.get)
      const outcomes = yield* FanOut.either([seen, seen]).pipe(CallContext.withRun("run-1"), Effect.provideService(Greeting, "hello"))
      for (const outcome of outcomes) {
        const [greeting, callContext] = Either.getOrThrow(outcome)
        assert.strictEqual(greeting, "hello")
        assert.strictEqual(callContext.runId, "run-1")
      }
    }))
})

describe("FanOut.branches", () => {
  it.effect("each branch starts with its own context, or the caller's", () =>
    Effect.gen(function* () {
      const greeting = Effect.map(Effect.serviceOption(Greeting), Option.getOrElse(() => "none"))
      const outcomes = yield* FanOut.branches([
        { effect: greeting, context: Context.make(Greeting, "hello") },
        { effect: greeting },
        { effect: greeting, context: Context.make(Greeting, "hi") }
      ]).pipe(Effect.provideService(Greeting, "caller's"))
      assert.deepStrictEqual(outcomes.map(Either.getOrThrow), ["hello", "caller's", "hi"])
    }))

  it.effect("a branch that breaks the fan-out as it starts stops the rest from starting", () =>
    Effect.gen(function* () {
      const started = yield* Ref.make(0)
      const counted = Effect.zipRight(Ref.update(started, (n) => n + 1), Effect.never)
      const exit = yield* Effect.exit(FanOut.branches([{ effect: counted }, { effect: Effect.dieMessage("boom") }, { effect: counted }]))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      assert.strictEqual(yield* Ref.get(started), 1, "the branch before it started (and was interrupted), the one after did not")
    }))
})
