/**
 * A node stopped or frozen the way it happens in deployment, each a real process signalled by its
 * PID: SIGTERM (how a node is stopped: the main fiber is interrupted, as NodeRuntime.runMain and
 * examples/distributed/node.ts do) and SIGSTOP (a frozen peer; resumed or killed after).
 */
import { assert, describe, it } from "@effect/vitest"
import { CallTimeout, DistributedRuntime, Message, RuntimeStopped, TransportError } from "@aixfx/core"
import { Effect, Fiber } from "effect"
import { spawnNode } from "../fixtures/processes.js"

describe("DistributedRuntime faults between processes", () => {
  it.scopedLive("SIGTERM lets calls in flight finish within the grace period, then cancels the rest with RuntimeStopped", () =>
    Effect.gen(function* () {
      const node = yield* spawnNode({ NODE_ID: "t", GRACE: "4 seconds" })
      const runtime = yield* DistributedRuntime.make({ peers: { "*": node.endpoint } })
      const finishing = yield* Effect.fork(runtime.call("slow", Message.make("1500")))
      const message = Message.make("x")
      const hanging = yield* Effect.fork(runtime.call("hang", message))
      yield* node.waitForLine(`started ${message.id}`, "10 seconds")
      const stopping = Date.now()
      yield* node.stop
      const stoppedAfter = Date.now() - stopping
      assert.strictEqual((yield* Fiber.join(finishing)).payload, "t: slept 1500 ms")
      assert.instanceOf(yield* Effect.flip(Fiber.join(hanging)), RuntimeStopped)
      // It waited for the grace period (the hanging call held it), then stopped.
      assert.isAbove(stoppedAfter, 3_500)
      assert.isBelow(stoppedAfter, 15_000)
    }), { timeout: 60_000 })

  it.scopedLive("a frozen peer (SIGSTOP) fails calls in bounded time: keepalive for a call in flight, the deadline for a new one", () =>
    Effect.gen(function* () {
      const node = yield* spawnNode({ NODE_ID: "f" })
      const runtime = yield* DistributedRuntime.make({
        peers: { "*": node.endpoint },
        keepalive: { interval: "1 second", timeout: "1 second" },
        defaultRemoteTimeout: "3 seconds"
      })
      const message = Message.make("x")
      // No timeout of its own; the default deadline is longer than keepalive needs.
      const inFlight = yield* Effect.fork(runtime.call("hang", message, { timeout: "60 seconds" }))
      yield* node.waitForLine(`started ${message.id}`, "10 seconds")
      yield* node.signal("SIGSTOP")
      yield* Effect.addFinalizer(() => node.signal("SIGCONT"))
      const frozenAt = Date.now()
      const error = yield* Effect.flip(Fiber.join(inFlight))
      assert.instanceOf(error, TransportError)
      assert.isBelow(Date.now() - frozenAt, 15_000, "keepalive noticed the frozen peer")

      const started = Date.now()
      const late = yield* Effect.flip(runtime.call("echo", Message.make("y")))
      assert.instanceOf(late, CallTimeout)
      assert.isBelow(Date.now() - started, 10_000, "the default deadline bounds a new call")
      yield* node.signal("SIGCONT")
      yield* node.kill
    }), { timeout: 90_000 })
})
