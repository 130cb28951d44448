import type * as Json from "@aixfx/core/Json"
import * as Message from "@aixfx/core/Message"

/**
 * A request from a pattern to one of its agents. It carries the input's metadata (conversation,
 * filters, caller keys) so context reaches every step, minus what described the input itself
 * (`trace`, `inReplyTo`), plus the step's own keys.
 */
export const stepRequest = (input: Message.Message, payload: string, metadata: Json.JsonObject = {}): Message.Message => {
  const { inReplyTo: _inReplyTo, trace: _trace, ...carried } = input.metadata
  return Message.make({ payload, metadata: { ...carried, ...metadata } })
}
