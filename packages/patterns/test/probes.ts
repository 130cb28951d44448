/** Scripted agents and probes shared by the RAG, Reflection, Hierarchical and Nesting tests. */
import { Agent, AgentRuntime, Message, Telemetry } from "@aixfx/core"
import { assert } from "@effect/vitest"
import { Deferred, type Duration, Effect, Fiber, Ref, TestServices } from "effect"

/** An agent that records every message it receives and answers with `answer(input, callIndex)`. */
export const recording = (name: string, answer: (input: Message.Message, call: number) => string | Message.Message) =>
  Effect.gen(function* () {
    const received = yield* Ref.make<ReadonlyArray<Message.Message>>([])
    yield* AgentRuntime.register(
      Agent.make({
        name,
        execute: (input) =>
          Ref.getAndUpdate(received, (all) => [...all, input]).pipe(
            Effect.map((previous) => {
              const out = answer(input, previous.length)
              return typeof out === "string" ? Message.reply(input, out) : out
            })
          )
      })
    )
    return { received: Ref.get(received) }
  })

/**
 * An agent that signals when it starts and never finishes; `interrupted` completes when its work is
 * interrupted. Proves that interrupting a pattern's caller interrupts the steps in flight.
 */
export const hangingProbe = (name: string) =>
  Effect.gen(function* () {
    const started = yield* Deferred.make<void>()
    const interrupted = yield* Deferred.make<void>()
    yield* AgentRuntime.register(
      Agent.make({
        name,
        execute: () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
          )
      })
    )
    return { started, interrupted }
  })

/**
 * Forks `run`, interrupts it once every probe started, and asserts each probe was interrupted: at
 * once (in process), or `within` a bound of real time (over the wire, where the cancel travels).
 */
export const assertInterruptsSteps = <R>(
  run: Effect.Effect<unknown, unknown, R>,
  probes: ReadonlyArray<{ readonly started: Deferred.Deferred<void>; readonly interrupted: Deferred.Deferred<void> }>,
  within?: Duration.DurationInput
) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(run)
    for (const probe of probes) yield* Deferred.await(probe.started)
    yield* Fiber.interrupt(fiber)
    for (const probe of probes) {
      const interrupted = within === undefined
        ? yield* Deferred.isDone(probe.interrupted)
        : yield* TestServices.provideLive(Deferred.await(probe.interrupted).pipe(Effect.timeout(within), Effect.isSuccess))
      assert.isTrue(interrupted)
    }
  })

/** The finished span named `name` (fails the test when there is none). */
export const spanNamed = (exporter: Telemetry.InMemorySpanExporter, name: string) => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name)
  assert.isDefined(span, `no span named "${name}"; spans: ${exporter.getFinishedSpans().map((s) => s.name).join(", ")}`)
  return span!
}
