/**
 * Simulated aixfx agents: a reply after a fixed latency (`Effect.sleep`), so a figure measures the
 * framework around the agent, not a model.
 */
import { Agent, Message } from "@aixfx/core"
import { Duration, Effect } from "effect"

/** The work of a `sleeping` agent: `reply` to `input` after `latency` (zero: at once). */
export const sleepThenReply = (latency: Duration.DurationInput, reply = "done") => {
  const delay = Duration.decode(latency)
  return (input: Message.Message): Effect.Effect<Message.Message> =>
    Duration.toMillis(delay) === 0
      ? Effect.sync(() => Message.reply(input, reply))
      : Effect.as(Effect.sleep(delay), Message.reply(input, reply))
}

/** An agent answering every message with `reply` after `latency` (zero: at once). */
export const sleeping = (name: string, latency: Duration.DurationInput, reply = "done"): Agent.Agent =>
  Agent.make({ name, execute: sleepThenReply(latency, reply) })

export const workerNames = (n: number, prefix = "worker"): ReadonlyArray<string> =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
