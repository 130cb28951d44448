/**
 * ExecuteStream under a slow reader: the serving agent is held back by the caller's reading (HTTP/2
 * flow control down to the agent's `token` calls), instead of producing everything into buffers.
 * Both nodes are real gRPC nodes in this process (`loopback`), so the agent's progress can be read.
 */
import { Agent, DistributedRuntime, Message } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Ref, Stream } from "effect"

const TOKENS = 400
const TOKEN_BYTES = 64 * 1024

describe("ExecuteStream backpressure", () => {
  it.scopedLive("a caller that stops reading stops the agent; reading on lets it finish", () =>
    Effect.gen(function* () {
      const emitted = yield* Ref.make(0)
      const talker = Agent.make({
        name: "talker",
        execute: (m) =>
          Effect.gen(function* () {
            for (let i = 0; i < TOKENS; i++) {
              yield* DistributedRuntime.token("x".repeat(TOKEN_BYTES))
              yield* Ref.update(emitted, (n) => n + 1)
            }
            return Message.reply(m, "done")
          })
      })
      const context = yield* Layer.build(DistributedRuntime.loopback({ agents: [talker], maxMessageBytes: 1024 * 1024 }))
      const node = Context.get(context, DistributedRuntime.Node)
      const pull = yield* Stream.toPull(node.executeStream("talker", Message.make("go")))
      yield* pull
      // The reader pauses: the agent may run ahead by what the buffers hold, not to the end (25 MiB).
      yield* Effect.sleep("1500 millis")
      const whilePaused = yield* Ref.get(emitted)
      yield* Effect.sleep("500 millis")
      assert.strictEqual(yield* Ref.get(emitted), whilePaused, "the agent waits while the reader does")
      assert.isBelow(whilePaused, TOKENS / 2, `the agent ran ${whilePaused} of ${TOKENS} tokens ahead of a paused reader`)
      // Reading on, every token arrives, then the result.
      let events = 1
      let last: string | undefined
      while (true) {
        const chunk = yield* Effect.option(pull)
        if (Option.isNone(chunk)) break
        for (const event of chunk.value) {
          events++
          last = event._tag
        }
      }
      assert.strictEqual(last, "Result")
      assert.strictEqual(events, 1 + TOKENS + 1, "progress, every token, the result")
    }), 60_000)
})
