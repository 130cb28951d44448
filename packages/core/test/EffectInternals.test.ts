/**
 * Pins each behaviour of Effect that `internal/effectInternals.ts` relies on beyond Effect's
 * documented API. If an Effect upgrade changes one, the test named after it fails here.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, DefaultServices, Deferred, Effect, Equal, Exit, Fiber, FiberRef, Hash, HashSet, Layer, Schema, TestClock, Tracer } from "effect"
import {
  contextOf,
  forkerFor,
  hasTracer,
  instanceWithoutValidation,
  interruptAsFork,
  mergeContexts,
  onExit,
  provideOn
} from "../src/internal/effectInternals.js"

class Name extends Context.Tag("test/Name")<Name, string>() {}
class Count extends Context.Tag("test/Count")<Count, number>() {}
class Flag extends Context.Tag("test/Flag")<Flag, boolean>() {}

const currentLabel = FiberRef.unsafeMake("none")
/** A FiberRef whose value a forked fiber sees increased by one. */
const forkedCount = FiberRef.unsafeMake(0, { fork: (n) => n + 1 })

describe("Effect internals aixfx relies on", () => {
  it.effect("contextOf: fiber.currentContext is the context the fiber's effects see", () =>
    Effect.gen(function* () {
      const [seen, official] = yield* Effect.withFiberRuntime<readonly [Context.Context<never>, Context.Context<Name>], never, Name>((fiber) =>
        Effect.map(Effect.context<Name>(), (context) => [contextOf(fiber), context] as const)
      )
      assert.strictEqual(Context.get(seen as Context.Context<Name>, Name), "a")
      assert.strictEqual(seen, official)
    }).pipe(Effect.provideService(Name, "a")))

  it.effect("provideOn: a write of FiberRef.currentContext is the context of the next effect, restored however it ends", () =>
    Effect.gen(function* () {
      const replaced = Context.make(Name, "b")
      const calls: Array<string> = []
      const hooks = { before: () => calls.push("before"), after: () => calls.push("after") }
      const inside = yield* Effect.withFiberRuntime((fiber) => provideOn(fiber, replaced, Name, hooks))
      assert.strictEqual(inside, "b")
      assert.strictEqual(yield* Name, "a", "restored after success")
      const failed = yield* Effect.flip(Effect.withFiberRuntime<never, string>((fiber) => provideOn(fiber, replaced, Effect.fail("boom"), hooks)))
      assert.strictEqual(failed, "boom")
      assert.strictEqual(yield* Name, "a", "restored after failure")
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        Effect.withFiberRuntime((f) => provideOn(f, replaced, Effect.zipRight(Deferred.succeed(started, undefined), Effect.never), hooks)).pipe(
          Effect.onInterrupt(() => Effect.flatMap(Name, (name) => Effect.sync(() => calls.push(`interrupted as ${name}`))))
        )
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(calls, ["before", "after", "before", "after", "before", "after", "interrupted as a"])
    }).pipe(Effect.provideService(Name, "a")))

  it("mergeContexts: a Context is its unsafeMap keyed by Tag.key, and Context.unsafeMake builds one from such a map", () => {
    const base = Context.make(Name, "base").pipe(Context.add(Count, 1))
    const over = Context.make(Name, "over").pipe(Context.add(Count, 2), Context.add(Flag, true))
    const merged = mergeContexts(base, over, new Set([Count.key]), Flag, false) as Context.Context<Name | Count | Flag>
    assert.strictEqual(Context.get(merged, Name), "over")
    assert.strictEqual(Context.get(merged, Count), 1, "the base keeps what it wins, when it has it")
    assert.strictEqual(Context.get(merged, Flag), false)
    assert.strictEqual(merged.unsafeMap.get(Name.key), "over")
    const withoutCount = mergeContexts(Context.make(Name, "base"), over, new Set([Count.key]), Flag, true) as Context.Context<Count>
    assert.strictEqual(Context.get(withoutCount, Count), 2, "over provides what the base lacks")
    assert.isTrue(Equal.equals(merged, Context.unsafeMake(new Map(merged.unsafeMap))))
  })

  it.effect("hasTracer: fiber.currentTracer is Effect's native tracer until another is installed", () =>
    Effect.gen(function* () {
      assert.isFalse(yield* Effect.withFiberRuntime((fiber) => Effect.succeed(hasTracer(fiber))))
      // Another tracer object, doing what the native one does.
      const native = Context.get(DefaultServices.liveServices, Tracer.Tracer)
      const custom = Tracer.make({ span: native.span, context: native.context })
      const traced = yield* Effect.withFiberRuntime((fiber) => Effect.succeed(hasTracer(fiber))).pipe(Effect.withTracer(custom))
      assert.isTrue(traced)
      const viaLayer = yield* Effect.withFiberRuntime((fiber) => Effect.succeed(hasTracer(fiber))).pipe(Effect.provide(Layer.setTracer(custom)))
      assert.isTrue(viaLayer)
    }))

  it.effect("forkerFor: Runtime.runFork runs the fiber at once, on this stack, with the given context and the caller's FiberRefs, forked", () =>
    Effect.gen(function* () {
      const ran: Array<string> = []
      const fibers = yield* Effect.withFiberRuntime<ReadonlyArray<Fiber.RuntimeFiber<void>>>((caller, status) => {
        const fork = forkerFor(caller, status.runtimeFlags)
        const branch = (name: string) =>
          fork(
            Context.make(Name, name),
            Effect.gen(function* () {
              ran.push(`${yield* Name} ${yield* FiberRef.get(currentLabel)} ${yield* FiberRef.get(forkedCount)}`)
              // A branch's own writes stay its own.
              yield* FiberRef.set(currentLabel, name)
              yield* Effect.sleep("1 millis")
              ran.push(`${name} after the wait: ${yield* FiberRef.get(currentLabel)}`)
            }) as Effect.Effect<void> // the branch's context provides Name
          )
        const forked = [branch("a"), branch("b")]
        ran.push("forked")
        return Effect.succeed(forked)
      }).pipe(Effect.locally(currentLabel, "caller's"), Effect.locally(forkedCount, 1))
      assert.deepStrictEqual(ran, ["a caller's 2", "b caller's 2", "forked"])
      yield* TestClock.adjust("1 millis")
      for (const fiber of fibers) yield* Fiber.await(fiber)
      assert.deepStrictEqual(ran.slice(3).sort(), ["a after the wait: a", "b after the wait: b"])
      // Nothing comes back to the caller (a fan-out never joins its branches FiberRefs).
      assert.strictEqual(yield* FiberRef.get(currentLabel), "none")
    }))

  it.effect("onExit: addObserver is called once with the exit, also when added after the end; interruptAsFork interrupts as the given fiber", () =>
    Effect.gen(function* () {
      const exits: Array<Exit.Exit<number>> = []
      const done = yield* Effect.fork(Effect.succeed(1))
      yield* Fiber.await(done)
      onExit(done, (exit) => exits.push(exit))
      assert.strictEqual(exits.length, 1)
      assert.isTrue(Exit.isSuccess(exits[0]!) && exits[0].value === 1)

      const hanging = yield* Effect.fork(Effect.never)
      yield* Effect.yieldNow()
      const interrupted: Array<Exit.Exit<never>> = []
      onExit(hanging, (exit) => interrupted.push(exit))
      const by = yield* Effect.withFiberRuntime((caller) => {
        interruptAsFork(hanging, caller)
        return Effect.succeed(caller.id())
      })
      const exit = yield* Fiber.await(hanging)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.isTrue(Exit.isFailure(exit) && HashSet.some(Cause.interruptors(exit.cause), (id) => Equal.equals(id, by)))
      assert.strictEqual(interrupted.length, 1)
    }))

  it("instanceWithoutValidation: a Schema.Class instance is its prototype plus its fields", () => {
    class Point extends Schema.Class<Point>("test/Point")({ x: Schema.Number, y: Schema.Number, tags: Schema.Array(Schema.String) }) {}
    const fields = { x: 1, y: 2, tags: ["a"] }
    const made = instanceWithoutValidation(Point, fields)
    // What the constructor makes with validation off (validation would copy the array).
    const constructed = new Point(fields, { disableValidation: true })
    assert.instanceOf(made, Point)
    assert.isTrue(Equal.equals(made, constructed))
    assert.strictEqual(Hash.hash(made), Hash.hash(constructed))
    assert.isTrue(Schema.is(Point)(made))
    assert.deepStrictEqual(Object.keys(made), Object.keys(constructed))
    assert.deepStrictEqual(Schema.encodeSync(Point)(made), Schema.encodeSync(Point)(constructed))
  })
})
