/**
 * `retry` / `stepRetry` never repeat a call that may already have run: a `TransportError` whose
 * request may have reached the node is retried only for agents marked `idempotent`; one that surely
 * never left (no connection) is retried like any transient failure.
 */
import { Agent, AgentRuntime, DistributedRuntime, LocalRuntime, Message, TransportError } from "@aixfx/core"
import { Pattern } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref, Schedule } from "effect"
import { createServer } from "node:net"

/** An agent failing in transport every time, as a remote call would; counts its runs. */
const failingInTransport = (mayHaveRun: boolean, runs: Ref.Ref<number>) =>
  Agent.make({
    name: "remote",
    execute: () =>
      Effect.zipRight(
        Ref.update(runs, (n) => n + 1),
        Effect.fail(new TransportError({ agent: "remote", endpoint: "127.0.0.1:1", code: "UNAVAILABLE", mayHaveRun, message: "cut off" }))
      )
  })

const onceStep = (options: Pattern.CommonOptions) =>
  Pattern.make("parallel", options, (input) => Pattern.callStep(options, "only", "remote", input))

/** How many times `remote` ran for one execution of a pattern made with `options`. */
const runsOf = (mayHaveRun: boolean, options: Omit<Pattern.CommonOptions, "name">) =>
  Effect.gen(function* () {
    const runs = yield* Ref.make(0)
    yield* AgentRuntime.register(failingInTransport(mayHaveRun, runs))
    const error = yield* Effect.flip(onceStep({ name: "p", ...options }).execute(Message.make("x")))
    assert.strictEqual(error._tag, "TransportError")
    return yield* Ref.get(runs)
  }).pipe(Effect.provide(LocalRuntime.layer()))

describe("retries that cannot repeat work", () => {
  it.effect("stepRetry does not repeat a call that may have run", () =>
    Effect.map(runsOf(true, { stepRetry: Schedule.recurs(3) }), (runs) => assert.strictEqual(runs, 1)))

  it.effect("retry (the whole run) does not repeat it either", () =>
    Effect.map(runsOf(true, { retry: Schedule.recurs(3) }), (runs) => assert.strictEqual(runs, 1)))

  it.effect("a call that surely did not run is retried", () =>
    Effect.map(runsOf(false, { stepRetry: Schedule.recurs(3) }), (runs) => assert.strictEqual(runs, 4)))

  it.effect("an agent marked idempotent is retried even when it may have run", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* runsOf(true, { stepRetry: Schedule.recurs(3), idempotent: ["remote"] }), 4)
      assert.strictEqual(yield* runsOf(true, { retry: Schedule.recurs(3), idempotent: true }), 4)
      assert.strictEqual(yield* runsOf(true, { stepRetry: Schedule.recurs(3), idempotent: ["other"] }), 1)
    }))

  it.effect("a step whose agent ran and then met a transport failure deeper down is not repeated (unless it is idempotent)", () =>
    Effect.gen(function* () {
      // `outer` runs (counted), then calls `remote`, which surely never ran: but `outer` did.
      const outerRunsWith = (options: Omit<Pattern.CommonOptions, "name">) =>
        Effect.gen(function* () {
          const outerRuns = yield* Ref.make(0)
          yield* AgentRuntime.register(failingInTransport(false, yield* Ref.make(0)))
          yield* AgentRuntime.register(Agent.make({
            name: "outer",
            execute: (m) => Effect.zipRight(Ref.update(outerRuns, (n) => n + 1), AgentRuntime.call("remote", m))
          }))
          const step = Pattern.make("parallel", { name: "p", ...options }, (input) => Pattern.callStep({ name: "p", ...options }, "only", "outer", input))
          const error = yield* Effect.flip(step.execute(Message.make("x")))
          assert.strictEqual(error._tag, "TransportError")
          return yield* Ref.get(outerRuns)
        }).pipe(Effect.provide(LocalRuntime.layer()))
      assert.strictEqual(yield* outerRunsWith({ stepRetry: Schedule.recurs(3) }), 1)
      assert.strictEqual(yield* outerRunsWith({ stepRetry: Schedule.recurs(3), idempotent: ["outer"] }), 4)
    }))

  it.live("over gRPC: a node that refuses the connection is retried (nothing was sent)", () =>
    Effect.gen(function* () {
      const port = yield* Effect.async<number>((resume) => {
        const probe = createServer()
        probe.listen(0, "127.0.0.1", () => {
          const { port } = probe.address() as { port: number }
          probe.close(() => resume(Effect.succeed(port)))
        })
      })
      const failures = yield* Ref.make(0)
      const stepRetry = Schedule.recurs(2).pipe(Schedule.tapInput(() => Ref.update(failures, (n) => n + 1)))
      const error = yield* Effect.flip(onceStep({ name: "p", stepRetry }).execute(Message.make("x"))).pipe(
        Effect.provide(DistributedRuntime.layer({ peers: { remote: `127.0.0.1:${port}` } }))
      )
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(yield* Ref.get(failures), 3, "tried 3 times: once, then the 2 retries")
    }))
})
