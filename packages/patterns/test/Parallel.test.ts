import { Agent, AgentFailed, AgentRuntime, Message, Telemetry } from "@aixfx/core"
import { Parallel, Router } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, type Duration, Effect, Fiber, Option, Ref, TestClock } from "effect"
import { assertInterruptsSteps, hangingProbe, recording, spanNamed } from "./probes.js"
import { withRuntime } from "./runtime.js"

/** An agent answering `answer` after `delay` (TestClock time). */
const after = (name: string, delay: Duration.DurationInput, answer: string) =>
  AgentRuntime.register(Agent.make({ name, execute: (m) => Effect.as(Effect.sleep(delay), Message.reply(m, answer)) }))

const failing = (name: string, delay: Duration.DurationInput = "0 millis") =>
  AgentRuntime.register(
    Agent.make({ name, execute: () => Effect.zipRight(Effect.sleep(delay), Effect.fail(AgentFailed.of(name, "broken"))) })
  )

const traceOf = (m: Message.Message) => Effect.runSync(Parallel.outcome(m))

describe("Parallel", () => {
  it.effect("sends the same input to every agent and concatenates in agent order", () =>
    withRuntime(
      Effect.gen(function* () {
        const a = yield* recording("a", () => "from a")
        const b = yield* recording("b", () => "from b")
        const input = Message.make("question")
        const out = yield* Parallel.make({ name: "fan", agents: ["b", "a"] }).execute(input)
        assert.strictEqual(out.payload, "from b\n\nfrom a")
        assert.strictEqual((yield* a.received)[0]!.payload, "question")
        assert.strictEqual((yield* b.received)[0]!.payload, "question")
        assert.strictEqual(out.metadata["inReplyTo"], input.id)
        assert.deepStrictEqual(input.metadata, {})
      })
    ))

  it.effect("runs the agents concurrently, bounded by concurrency", () =>
    withRuntime(
      Effect.gen(function* () {
        for (const n of ["a", "b", "c", "d"]) yield* after(n, "1 second", n)
        const unbounded = yield* Effect.fork(Parallel.make({ name: "all", agents: ["a", "b", "c", "d"] }).execute(Message.make("q")))
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(unbounded)).payload, "a\n\nb\n\nc\n\nd")
        const bounded = yield* Effect.fork(
          Parallel.make({ name: "two", agents: ["a", "b", "c", "d"], concurrency: 2 }).execute(Message.make("q"))
        )
        yield* TestClock.adjust("1 second")
        assert.isTrue(Option.isNone(yield* Fiber.poll(bounded)), "two at a time need two rounds")
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Fiber.join(bounded)).payload, "a\n\nb\n\nc\n\nd")
      })
    ))

  it.effect("collects partial results and records each failure", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("ok", () => "fine")
        yield* failing("bad")
        const out = yield* Parallel.make({ name: "fan", agents: ["ok", "bad", "missing"] }).execute(Message.make("q"))
        assert.strictEqual(out.payload, "fine")
        const trace = traceOf(out)
        assert.strictEqual(trace.succeeded, 1)
        assert.deepStrictEqual(trace.failures.map((f) => `${f.step}:${f.tag}`), ["bad:AgentFailed", "missing:AgentNotFound"])
      })
    ))

  it.effect("fewer than minSuccesses fails with InsufficientResults listing every failure", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("ok", () => "fine")
        yield* failing("bad1")
        yield* failing("bad2")
        const error = yield* Effect.flip(Parallel.make({ name: "fan", agents: ["ok", "bad1", "bad2"], minSuccesses: 2 }).execute(Message.make("q")))
        assert.strictEqual(error._tag, "InsufficientResults")
        if (error._tag !== "InsufficientResults") return
        assert.strictEqual(error.required, 2)
        assert.strictEqual(error.succeeded, 1)
        assert.deepStrictEqual(error.failures.map((f) => f.step), ["bad1", "bad2"])
        assert.include(error.message, `"fan"`)
      })
    ))

  it.effect("failFast fails at the first failure and interrupts the agents still running", () =>
    withRuntime(
      Effect.gen(function* () {
        const probe = yield* hangingProbe("slow")
        yield* failing("bad", "1 second")
        const fiber = yield* Effect.fork(Parallel.make({ name: "ff", agents: ["slow", "bad"], failFast: true }).execute(Message.make("q")))
        yield* Deferred.await(probe.started)
        yield* TestClock.adjust("1 second")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual(error._tag, "InsufficientResults")
        assert.include(error.message, `"bad"`)
        assert.isTrue(yield* Deferred.isDone(probe.interrupted), "the slow agent was interrupted")
      })
    ))

  it.effect("json keys the replies by agent, in the order of agents", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* after("zeta", "2 seconds", "z")
        yield* after("alpha", "1 second", "a")
        const fiber = yield* Effect.fork(Parallel.make({ name: "j", agents: ["zeta", "alpha"], aggregate: Parallel.json }).execute(Message.make("q")))
        yield* TestClock.adjust("2 seconds")
        const out = yield* Fiber.join(fiber)
        assert.strictEqual(out.payload, `{"zeta":"z","alpha":"a"}`)
        assert.strictEqual(out.type, "json")
      })
    ))

  it.effect("firstSuccess returns the first reply and interrupts the losers; failures do not win", () =>
    withRuntime(
      Effect.gen(function* () {
        const probe = yield* hangingProbe("loser")
        yield* failing("broken")
        yield* after("winner", "1 second", "fast answer")
        const fiber = yield* Effect.fork(
          Parallel.make({ name: "race", agents: ["loser", "broken", "winner"], aggregate: Parallel.firstSuccess }).execute(Message.make("q"))
        )
        yield* Deferred.await(probe.started)
        yield* TestClock.adjust("1 second")
        const out = yield* Fiber.join(fiber)
        assert.strictEqual(out.payload, "fast answer")
        assert.strictEqual(traceOf(out).winner, "winner")
        assert.isTrue(yield* Deferred.isDone(probe.interrupted))
      })
    ))

  it.effect("firstSuccess with no success fails with InsufficientResults", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* failing("x")
        yield* failing("y")
        const error = yield* Effect.flip(Parallel.make({ name: "race", agents: ["x", "y"], aggregate: Parallel.firstSuccess }).execute(Message.make("q")))
        assert.strictEqual(error._tag, "InsufficientResults")
      })
    ))

  it.effect("majority picks the most common normalised answer with its tally; ties sort first", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("v1", () => "Spam.")
        yield* recording("v2", () => `{"label":"SPAM"}`)
        yield* recording("v3", () => "ham")
        const out = yield* Parallel.make({ name: "vote", agents: ["v3", "v1", "v2"], aggregate: Parallel.majority }).execute(Message.make("q"))
        assert.strictEqual(out.payload, "Spam.")
        assert.deepStrictEqual(traceOf(out).tally, { ham: 1, spam: 2 })
        const tie = yield* Parallel.make({ name: "tie", agents: ["v3", "v1"], aggregate: Parallel.majority }).execute(Message.make("q"))
        assert.strictEqual(traceOf(tie).winner, "ham", "a tie goes to the answer that sorts first, whatever the order of agents")
      })
    ))

  it.effect("a custom aggregator gets the successes in agent order", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("a", () => "1")
        yield* recording("b", () => "2")
        const out = yield* Parallel.make({
          name: "sum",
          agents: ["a", "b"],
          aggregate: (results) => String(results.reduce((s, r) => s + Number(r.output.payload), 0))
        }).execute(Message.make("q"))
        assert.strictEqual(out.payload, "3")
      })
    ))

  it.effect("stepTimeout fails a slow agent with CallTimeout while the others answer", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* after("quick", "100 millis", "quick")
        yield* after("slow", "1 minute", "slow")
        const fiber = yield* Effect.fork(Parallel.make({ name: "t", agents: ["quick", "slow"], stepTimeout: "1 second" }).execute(Message.make("q")))
        yield* TestClock.adjust("1 second")
        const out = yield* Fiber.join(fiber)
        assert.strictEqual(out.payload, "quick")
        assert.deepStrictEqual(traceOf(out).failures.map((f) => f.tag), ["CallTimeout"])
      })
    ))

  it.effect("interrupting the caller interrupts every agent in flight", () =>
    withRuntime(
      Effect.gen(function* () {
        const probes = [yield* hangingProbe("p1"), yield* hangingProbe("p2"), yield* hangingProbe("p3")]
        yield* assertInterruptsSteps(Parallel.make({ name: "fan", agents: ["p1", "p2", "p3"] }).execute(Message.make("q")), probes)
      })
    ))

  it.effect("nests: a Router route that is a Parallel, traced as one tree", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return withRuntime(
      Effect.gen(function* () {
        yield* recording("classifier", () => `{"category":"research","confidence":0.9}`)
        yield* recording("web", () => "web facts")
        yield* recording("papers", () => "paper facts")
        yield* recording("chat", () => "small talk")
        yield* AgentRuntime.register(Parallel.make({ name: "research", agents: ["web", "papers"] }))
        const router = Router.make({ name: "desk", classifier: "classifier", routes: { research: "research", chat: "chat" } })
        const out = yield* router.execute(Message.make("find sources"))
        assert.strictEqual(out.payload, "web facts\n\npaper facts")
        const parallel = spanNamed(exporter, "pattern.parallel research")
        assert.strictEqual(parallel.attributes["aixfx.parallel.succeeded"], 2)
        const routerSpan = spanNamed(exporter, "pattern.router desk")
        assert.strictEqual(parallel.spanContext().traceId, routerSpan.spanContext().traceId)
      }).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
    )
  })

  it.effect("scales: 2,000 agents fan out once each", () =>
    withRuntime(
      Effect.gen(function* () {
        const calls = yield* Ref.make(0)
        const names = Array.from({ length: 2000 }, (_, i) => `w${i}`)
        for (const name of names) {
          yield* AgentRuntime.register(Agent.make({ name, execute: (m) => Effect.as(Ref.update(calls, (n) => n + 1), Message.reply(m, "x")) }))
        }
        const out = yield* Parallel.make({ name: "wide", agents: names, aggregate: Parallel.majority }).execute(Message.make("q"))
        assert.strictEqual(yield* Ref.get(calls), 2000)
        assert.deepStrictEqual(traceOf(out).tally, { x: 2000 })
      })
    ))
})
