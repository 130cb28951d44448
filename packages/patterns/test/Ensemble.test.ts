import { Agent, AgentFailed, AgentRuntime, LocalRuntime, Message, Telemetry } from "@aixfx/core"
import { Ensemble } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, FastCheck as fc, Fiber, TestClock } from "effect"
import { hangingProbe, recording, spanNamed, assertInterruptsSteps } from "./probes.js"
import { withRuntime } from "./runtime.js"

const traceOf = (m: Message.Message) => Effect.runSync(Ensemble.outcome(m))

/** Registers voters answering the given texts (with optional confidence). */
const voters = (answers: Record<string, string | { text: string; confidence: number }>) =>
  Effect.forEach(Object.entries(answers), ([name, a]) =>
    recording(name, (m) => (typeof a === "string" ? a : Message.reply(m, { payload: a.text, metadata: { confidence: a.confidence } })))
  )

describe("Ensemble", () => {
  it.effect("Ensemble.outcome refuses a reply that is not an Ensemble's, naming the field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Ensemble.outcome(Message.make({ payload: "hello", metadata: { trace: { kind: "router", name: "r" } } })))
      assert.strictEqual(error._tag, "PayloadDecodeError")
      assert.strictEqual(error.path, "metadata.trace.kind")
    }))

  it.effect("majority: normalised answers, winner, tally, agreement and dissenters", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* voters({ m1: "Spam.", m2: `{"label":"SPAM"}`, m3: "ham" })
        const out = yield* Ensemble.make({ name: "mod", models: ["m1", "m2", "m3"], earlyStop: false }).execute(Message.make("buy now!!!"))
        const trace = yield* Ensemble.outcome(out)
        // The reply is the winning answer, not one voter's raw text.
        assert.strictEqual(out.payload, "spam")
        assert.strictEqual(trace.winner, "spam")
        assert.deepStrictEqual(trace.tally, { ham: 1, spam: 2 })
        assert.closeTo(trace.agreement, 2 / 3, 1e-9)
        assert.deepStrictEqual(trace.dissenters, ["m3"])
      })
    ))

  it.effect("below agreementThreshold fails with InsufficientAgreement carrying the tally", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* voters({ a: "x", b: "y", c: "z" })
        const error = yield* Effect.flip(Ensemble.make({ name: "mod", models: ["a", "b", "c"] }).execute(Message.make("q")))
        assert.strictEqual(error._tag, "InsufficientAgreement")
        if (error._tag !== "InsufficientAgreement") return
        assert.deepStrictEqual(error.tally, { x: 1, y: 1, z: 1 })
        assert.closeTo(error.agreement, 1 / 3, 1e-9)
        assert.include(error.message, `"mod"`)
      })
    ))

  it.effect("weighted: a heavier voter outvotes two light ones", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* voters({ big: "yes", s1: "no", s2: "no" })
        const out = yield* Ensemble.make({ name: "w", models: ["big", "s1", "s2"], strategy: "weighted", weights: { big: 3 } }).execute(
          Message.make("q")
        )
        assert.strictEqual(traceOf(out).winner, "yes")
        assert.deepStrictEqual(traceOf(out).tally, { no: 2, yes: 3 })
      })
    ))

  it.effect("confidence: votes count their confidence from metadata", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* voters({ a: { text: "cat", confidence: 0.9 }, b: { text: "dog", confidence: 0.3 }, c: { text: "dog", confidence: 0.3 } })
        const out = yield* Ensemble.make({ name: "c", models: ["a", "b", "c"], strategy: "confidence" }).execute(Message.make("q"))
        assert.strictEqual(traceOf(out).winner, "cat")
      })
    ))

  it.effect("unanimous: all must agree", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* voters({ a: "ok", b: "OK!", c: "no" })
        const agreed = yield* Ensemble.make({ name: "u", models: ["a", "b"], strategy: "unanimous" }).execute(Message.make("q"))
        assert.strictEqual(traceOf(agreed).agreement, 1)
        const error = yield* Effect.flip(Ensemble.make({ name: "u", models: ["a", "b", "c"], strategy: "unanimous" }).execute(Message.make("q")))
        assert.strictEqual(error._tag, "InsufficientAgreement")
        assert.include(error.message, "not unanimous")
      })
    ))

  it.effect("a failed voter does not vote; no answers at all is InsufficientAgreement", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* voters({ a: "yes", b: "yes" })
        yield* AgentRuntime.register(Agent.make({ name: "broken", execute: () => Effect.fail(AgentFailed.of("broken", "down")) }))
        const out = yield* Ensemble.make({ name: "e", models: ["a", "broken", "b"], earlyStop: false }).execute(Message.make("q"))
        assert.deepStrictEqual(traceOf(out).failures, [{ agent: "broken", tag: "AgentFailed" }])
        assert.strictEqual(traceOf(out).agreement, 1)
        const none = yield* Effect.flip(Ensemble.make({ name: "e", models: ["broken"] }).execute(Message.make("q")))
        assert.strictEqual(none._tag, "InsufficientAgreement")
        assert.include(none.message, "no voter answered")
      })
    ))

  it.effect("earlyStop interrupts the outstanding voters once the majority is decided, with the same winner", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* voters({ a: "yes", b: "yes", c: "yes" })
        const slow1 = yield* hangingProbe("slow1")
        const slow2 = yield* hangingProbe("slow2")
        const out = yield* Ensemble.make({ name: "e", models: ["a", "b", "c", "slow1", "slow2"] }).execute(Message.make("q"))
        assert.strictEqual(traceOf(out).winner, "yes")
        assert.sameMembers([...traceOf(out).interrupted], ["slow1", "slow2"])
        assert.isTrue(yield* Deferred.isDone(slow1.interrupted))
        assert.isTrue(yield* Deferred.isDone(slow2.interrupted))
      })
    ))

  it.effect("without earlyStop every voter is waited for", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* voters({ a: "yes", b: "yes", c: "yes" })
        yield* AgentRuntime.register(Agent.make({ name: "late", execute: (m) => Effect.as(Effect.sleep("5 seconds"), Message.reply(m, "no")) }))
        const fiber = yield* Effect.fork(Ensemble.make({ name: "e", models: ["a", "b", "c", "late"], earlyStop: false }).execute(Message.make("q")))
        yield* TestClock.adjust("5 seconds")
        const out = yield* Fiber.join(fiber)
        assert.deepStrictEqual(traceOf(out).tally, { no: 1, yes: 3 })
        assert.deepStrictEqual(traceOf(out).interrupted, [])
      })
    ))

  it.effect("interrupting the caller interrupts every voter in flight; the tally is a span attribute", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return withRuntime(
      Effect.gen(function* () {
        const probes = [yield* hangingProbe("p1"), yield* hangingProbe("p2")]
        yield* assertInterruptsSteps(Ensemble.make({ name: "e", models: ["p1", "p2"] }).execute(Message.make("q")), probes)
        yield* voters({ a: "yes", b: "no", c: "yes" })
        yield* Ensemble.make({ name: "vote", models: ["a", "b", "c"], earlyStop: false }).execute(Message.make("q"))
        const span = spanNamed(exporter, "pattern.ensemble vote")
        assert.strictEqual(span.attributes["aixfx.ensemble.winner"], "yes")
        assert.strictEqual(span.attributes["aixfx.ensemble.tally"], `{"no":1,"yes":2}`)
      }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
    )
  })
})

describe("Ensemble voting properties", () => {
  const answer = fc.constantFrom("yes", "no", "maybe", "spam")
  const votes = fc.array(fc.record({ answer, score: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 9 })

  it("a unanimous answer always wins, with agreement 1, whatever the scores", () => {
    fc.assert(
      fc.property(answer, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 9 }), (a, scores) => {
        const outcome = Ensemble.decide(scores.map((score, i) => ({ agent: `v${i}`, answer: a, score })))!
        return outcome.winner === a && outcome.agreement === 1 && outcome.dissenters.length === 0
      })
    )
  })

  it("the winner does not depend on the order of the votes (ties broken deterministically)", () => {
    const named = votes.map((vs) => vs.map((v, i) => ({ ...v, agent: `v${i}` })))
    const withPermutation = named.chain((vs) => fc.tuple(fc.constant(vs), fc.shuffledSubarray(vs, { minLength: vs.length, maxLength: vs.length })))
    fc.assert(
      fc.property(withPermutation, ([original, permuted]) => {
        const a = Ensemble.decide(original)!
        const b = Ensemble.decide(permuted)!
        return a.winner === b.winner && a.agreement === b.agreement && JSON.stringify(a.tally) === JSON.stringify(b.tally)
      })
    )
  })

  it.effect("a unanimous answer wins under every strategy, and earlyStop never changes the winner", () =>
    Effect.gen(function* () {
      const samples = fc.sample(fc.tuple(fc.array(answer, { minLength: 1, maxLength: 6 }), fc.boolean()), { numRuns: 15, seed: 42 })
      for (const [answers, unanimous] of samples) {
        const cast = unanimous ? answers.map(() => answers[0]!) : answers
        yield* Effect.gen(function* () {
          const names = cast.map((_, i) => `v${i}`)
          for (let i = 0; i < cast.length; i++) yield* recording(names[i]!, () => cast[i]!)
          for (const strategy of ["majority", "weighted", "confidence", "unanimous"] as const) {
            const run = (earlyStop: boolean) =>
              Effect.either(Ensemble.make({ name: "p", models: names, strategy, earlyStop, agreementThreshold: 0.5 }).execute(Message.make("q")))
            const [withStop, without] = [yield* run(true), yield* run(false)]
            const winnerOf = (r: typeof withStop) => (r._tag === "Right" ? traceOf(r.right).winner : r.left._tag)
            assert.strictEqual(winnerOf(withStop), winnerOf(without), `strategy ${strategy}, votes ${cast.join(",")}`)
            if (unanimous) assert.strictEqual(winnerOf(without), cast[0], `unanimous under ${strategy}`)
          }
        }).pipe(Effect.provide(LocalRuntime.layer()))
      }
    }))
})
