import { Agent, AgentRuntime, Message, ProviderUnavailable, Telemetry } from "@aixfx/core"
import { Reflection } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Ref, Schedule, TestClock } from "effect"
import { assertInterruptsSteps, hangingProbe, recording, spanNamed } from "./probes.js"
import { withRuntime } from "./runtime.js"

/** A generator whose n-th draft is "draft n". */
const drafter = recording("writer", (_, call) => `draft ${call + 1}`)

/** A critic that gives the n-th draft it sees `scores[n]`, as JSON. */
const scoring = (name: string, scores: ReadonlyArray<number>) =>
  recording(name, (_, call) => JSON.stringify({ score: scores[call], feedback: `Missing: point ${call + 1}` }))

const traceOf = (message: Message.Message) => Effect.runSync(Reflection.outcome(message))

describe("Reflection", () => {
  it.effect("stops at qualityThreshold and returns the draft that reached it", () =>
    withRuntime(
      Effect.gen(function* () {
        const writer = yield* drafter
        yield* scoring("critic", [0.5, 0.95])
        const input = Message.make("Explain retries")
        const out = yield* Reflection.make({ name: "refl", generator: "writer", critic: "critic" }).execute(input)
        assert.strictEqual(out.payload, "draft 2")
        assert.deepInclude(traceOf(out), { scores: [0.5, 0.95], bestIteration: 2, stopReason: "quality-threshold" })
        assert.lengthOf(yield* writer.received, 2)
        assert.strictEqual(out.metadata["inReplyTo"], input.id)
        assert.notStrictEqual(out.id, input.id)
        assert.deepStrictEqual(input.metadata, {}, "the input is not mutated")
      })
    ))

  it.effect("each refinement request carries the original task, the previous draft and the critique", () =>
    withRuntime(
      Effect.gen(function* () {
        const writer = yield* drafter
        const critic = yield* scoring("critic", [0.4, 0.95])
        const input = Message.make({ payload: "Explain retries", metadata: { user: "ana" } })
        yield* Reflection.make({ name: "refl", generator: "writer", critic: "critic" }).execute(input)
        const [first, second] = yield* writer.received
        assert.strictEqual(first!.payload, "Explain retries")
        assert.deepStrictEqual(first!.metadata, { user: "ana" })
        assert.include(second!.payload, "Task:\nExplain retries")
        assert.include(second!.payload, "Previous draft:\ndraft 1")
        assert.include(second!.payload, "critique (score 0.40)")
        assert.include(second!.payload, "Missing: point 1")
        assert.strictEqual(second!.metadata["user"], "ana", "the input's metadata reaches every step")
        assert.deepStrictEqual(second!.metadata["reflection"], {
          iteration: 2,
          task: "Explain retries",
          draft: "draft 1",
          critique: { score: 0.4, feedback: "Missing: point 1" }
        })
        const [shown] = yield* critic.received
        assert.strictEqual(shown!.payload, "Task: Explain retries\nDraft: draft 1")
        assert.deepStrictEqual(shown!.metadata, { user: "ana", reflection: { iteration: 1, task: "Explain retries", draft: "draft 1" } })
      })
    ))

  it.effect("stops at maxIterations (default 3) and returns the best draft", () =>
    withRuntime(
      Effect.gen(function* () {
        const writer = yield* drafter
        yield* scoring("critic", [0.3, 0.5, 0.7, 0.95])
        const out = yield* Reflection.make({ name: "refl", generator: "writer", critic: "critic" }).execute(Message.make("t"))
        assert.strictEqual(out.payload, "draft 3")
        assert.deepInclude(traceOf(out), { scores: [0.3, 0.5, 0.7], stopReason: "max-iterations", bestIteration: 3 })
        assert.lengthOf(yield* writer.received, 3)
      })
    ))

  it.effect("maxIterations 1 critiques the first draft and never refines", () =>
    withRuntime(
      Effect.gen(function* () {
        const writer = yield* drafter
        yield* scoring("critic", [0.2])
        const out = yield* Reflection.make({ name: "refl", generator: "writer", critic: "critic", maxIterations: 1 }).execute(Message.make("t"))
        assert.deepInclude(traceOf(out), { scores: [0.2], stopReason: "max-iterations" })
        assert.lengthOf(yield* writer.received, 1)
      })
    ))

  it.effect("returns the best-scoring draft, not the last, when a revision gets worse", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* drafter
        yield* scoring("critic", [0.5, 0.8, 0.6])
        const out = yield* Reflection.make({ name: "refl", generator: "writer", critic: "critic", maxIterations: 5 }).execute(Message.make("t"))
        assert.strictEqual(out.payload, "draft 2")
        assert.deepInclude(traceOf(out), { scores: [0.5, 0.8, 0.6], bestIteration: 2, stopReason: "insufficient-improvement" })
      })
    ))

  it.effect("stops when a revision improves by less than improvementThreshold (default 0.1)", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* drafter
        yield* scoring("critic", [0.5, 0.55, 0.6, 0.65])
        const strict = yield* Reflection.make({ name: "refl", generator: "writer", critic: "critic" }).execute(Message.make("t"))
        assert.deepInclude(traceOf(strict), { scores: [0.5, 0.55], stopReason: "insufficient-improvement", bestIteration: 2 })
        assert.strictEqual(strict.payload, "draft 2")
      })
    ))

  it.effect("improvementThreshold 0 and qualityThreshold 0.6 keep going on small gains and stop at the quality bar", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* drafter
        yield* scoring("critic", [0.5, 0.55, 0.6])
        const out = yield* Reflection.make({
          name: "refl",
          generator: "writer",
          critic: "critic",
          improvementThreshold: 0,
          qualityThreshold: 0.6,
          maxIterations: 10
        }).execute(Message.make("t"))
        assert.deepInclude(traceOf(out), { scores: [0.5, 0.55, 0.6], stopReason: "quality-threshold" })
      })
    ))

  it.effect("runs several critics concurrently and averages their scores", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* drafter
        const slowCritic = (name: string, score: number) =>
          AgentRuntime.register(
            Agent.make({ name, execute: (m) => Effect.as(Effect.sleep("1 second"), Message.reply(m, `Score: ${score * 10}/10. ${name} says fine.`)) })
          )
        yield* slowCritic("strict", 0.6)
        yield* slowCritic("lenient", 0.8)
        const fiber = yield* Effect.fork(
          Reflection.make({ name: "refl", generator: "writer", critics: ["strict", "lenient"], maxIterations: 1 }).execute(Message.make("t"))
        )
        // One second is enough only if both critics run at once.
        yield* TestClock.adjust("1 second")
        const out = yield* Fiber.join(fiber)
        const trace = traceOf(out)
        assert.deepStrictEqual(trace.scores, [0.7])
        assert.deepStrictEqual(trace.iterations[0]!.critiques.map((c) => [c.critic, c.score]), [["strict", 0.6], ["lenient", 0.8]])
      })
    ))

  it.effect("an unparsable critique fails with CritiqueUnparsable naming the critic, never a guessed score", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* drafter
        yield* recording("critic", () => "Looks pretty good to me!")
        const error = yield* Effect.flip(Reflection.make({ name: "refl", generator: "writer", critic: "critic" }).execute(Message.make("t")))
        assert.strictEqual(error._tag, "CritiqueUnparsable")
        if (error._tag === "CritiqueUnparsable") {
          assert.strictEqual(error.critic, "critic")
          assert.strictEqual(error.pattern, "refl")
          assert.strictEqual(error.output, "Looks pretty good to me!")
          assert.include(error.message, `critic "critic"`)
        }
      })
    ))

  it("parses JSON first, then Score: x/y, x out of y, x/10, percentages and labelled decimals", () => {
    const read = (text: string) => Either.getOrUndefined(Effect.runSync(Effect.either(Reflection.parse("p", "c", text))))
    assert.deepStrictEqual(read(`{"score": 0.8, "feedback": "Add an example."}`), { score: 0.8, feedback: "Add an example." })
    assert.deepStrictEqual(read("Here you go:\n```json\n{\"score\": \"7/10\", \"feedback\": \"ok\"}\n```"), { score: 0.7, feedback: "ok" })
    assert.deepStrictEqual(read(`{"score": "85%", "critique": "tight"}`), { score: 0.85, feedback: "tight" })
    assert.strictEqual(read("Score: 8/10\nMissing: backoff.")?.score, 0.8)
    assert.strictEqual(read("**Score:** 3 out of 5")?.score, 0.6)
    assert.strictEqual(read("I would give it 9/10.")?.score, 0.9)
    assert.strictEqual(read("Quality: 75% — needs examples")?.score, 0.75)
    assert.strictEqual(read("Rating = 0.65")?.score, 0.65)
    assert.strictEqual(read("Score: 8/10\nMissing: backoff.")?.feedback, "Score: 8/10\nMissing: backoff.")
    // No guesses: out of range, unlabelled, or a JSON answer without a usable score.
    for (const text of [`{"score": 7}`, `{"verdict": "good"}`, "Score: 8", "Score: 12/10", "Great work", "150%"]) {
      assert.isUndefined(read(text), text)
    }
  })

  it.effect("stepTimeout bounds a critic's call; timeout the whole run", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* drafter
        yield* AgentRuntime.register(Agent.make({ name: "slow", execute: (m) => Effect.as(Effect.sleep("1 minute"), Message.reply(m, "Score: 1/1")) }))
        const stepped = yield* Effect.fork(Reflection.make({ name: "refl", generator: "writer", critic: "slow", stepTimeout: "1 second" }).execute(Message.make("t")))
        const whole = yield* Effect.fork(Reflection.make({ name: "refl2", generator: "writer", critic: "slow", timeout: "5 seconds" }).execute(Message.make("t")))
        yield* TestClock.adjust("5 seconds")
        assert.strictEqual((yield* Effect.flip(Fiber.join(stepped)))._tag, "CallTimeout")
        assert.strictEqual((yield* Effect.flip(Fiber.join(whole)))._tag, "PatternTimeout")
      })
    ))

  it.effect("stepRetry and retry recover from transient failures", () =>
    withRuntime(
      Effect.gen(function* () {
        const calls = yield* Ref.make(0)
        yield* drafter
        yield* AgentRuntime.register(
          Agent.make({
            name: "flaky",
            execute: (m) =>
              Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (n) =>
                n % 2 === 0 ? Effect.fail(new ProviderUnavailable({ provider: "p", message: "down" })) : Effect.succeed(Message.reply(m, "Score: 10/10"))
              )
          })
        )
        const stepped = yield* Reflection.make({ name: "refl", generator: "writer", critic: "flaky", stepRetry: Schedule.recurs(1) }).execute(Message.make("t"))
        assert.deepStrictEqual(traceOf(stepped).scores, [1])
        const whole = yield* Reflection.make({ name: "refl2", generator: "writer", critic: "flaky", retry: Schedule.recurs(1) }).execute(Message.make("t"))
        assert.deepStrictEqual(traceOf(whole).scores, [1])
        assert.strictEqual(yield* Ref.get(calls), 4)
      })
    ))

  it.effect("interrupting the caller interrupts every critic in flight", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* drafter
        const a = yield* hangingProbe("critic-a")
        const b = yield* hangingProbe("critic-b")
        yield* assertInterruptsSteps(
          Reflection.make({ name: "refl", generator: "writer", critics: ["critic-a", "critic-b"] }).execute(Message.make("t")),
          [a, b]
        )
      })
    ))

  it.effect("puts every iteration's score and the best iteration on the pattern span", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return withRuntime(
      Effect.gen(function* () {
        yield* drafter
        yield* scoring("critic", [0.5, 0.8, 0.6])
        yield* Reflection.make({ name: "refl", generator: "writer", critic: "critic", maxIterations: 5 }).execute(Message.make("t"))
        const span = spanNamed(exporter, "pattern.reflection refl")
        assert.strictEqual(span.attributes["aixfx.reflection.scores"], "[0.5,0.8,0.6]")
        assert.strictEqual(span.attributes["aixfx.reflection.best_iteration"], 2)
        assert.strictEqual(span.attributes["aixfx.reflection.stop_reason"], "insufficient-improvement")
        assert.includeMembers(exporter.getFinishedSpans().map((s) => s.name), ["step refl.generate", "step refl.critique.critic", "step refl.refine"])
      })
    ).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })
})
