/**
 * The function an `Agent.make` agent's `execute` wraps, for a runtime that has already set what the
 * wrapper would set: with no tracer installed the wrapper only records the agent in the call
 * context, which a runtime's call has done before it invokes the agent. Skipping it saves an
 * effect and a context read per call (a large fan-out's branches pay them on cold memory).
 *
 * Keyed by the `execute` function itself, so an agent whose `execute` was replaced (a spread with
 * a new `execute`) finds nothing here and runs its own.
 */
import type { Effect } from "effect"
import type { AgentError } from "../AgentError.js"
import type { Message } from "../Message.js"

type Execute<R> = (input: Message) => Effect.Effect<Message, AgentError, R>

const unwrapped = new WeakMap<Execute<any>, Execute<any>>()

/** Records that `wrapper`, with no tracer and the agent already current, does what `inner` does. */
export const record = <R>(wrapper: Execute<R>, inner: Execute<R>): Execute<R> => {
  unwrapped.set(wrapper, inner)
  return wrapper
}

/** What to run for `execute` on a fiber already running as its agent without a tracer. */
export const untracedOf = <R>(execute: Execute<R>): Execute<R> => unwrapped.get(execute) ?? execute
