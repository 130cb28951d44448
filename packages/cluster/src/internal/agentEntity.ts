/**
 * The one cluster entity every agent is reached through. Its id says which agent (and, for calls,
 * which of the agent's buckets), so calls spread over the shards and so over the runners; the
 * runner that owns the shard runs the call with its own registration of the agent.
 */
import { Entity } from "@effect/cluster"
import { Rpc } from "@effect/rpc"
import { AgentError, AgentNotFound, InvalidAgentName, Message, MessageTooLarge, RuntimeStopped, TransportError, Unauthenticated } from "@aixfx/core"
import { Schema } from "effect"

/**
 * What a call carries besides its message, as the gRPC edge carries it in metadata (see
 * `TraceContext`): the caller's span (`traceparent`, `tracestate`), its `CallContext`, its session
 * and user.
 */
const CallHeaders = Schema.Record({ key: Schema.String, value: Schema.String })

const MailboxError = Schema.Union(AgentNotFound, InvalidAgentName, RuntimeStopped, TransportError, Unauthenticated, MessageTooLarge)

const AgentInfo = Schema.Struct({
  name: Schema.String,
  role: Schema.String,
  description: Schema.String,
  ready: Schema.Boolean,
  location: Schema.String
})

export const AgentEntity = Entity.make("aixfx-agent", [
  Rpc.make("call", {
    // callId: one per AgentRuntime.call, the same on every delivery of it (see callClaims).
    payload: { agent: Schema.String, message: Message.Message, headers: CallHeaders, callId: Schema.String },
    success: Message.Message,
    error: AgentError
  }),
  Rpc.make("send", { payload: { agent: Schema.String, message: Message.Message }, error: MailboxError }),
  Rpc.make("receive", { payload: { agent: Schema.String }, success: Message.Message, error: MailboxError }),
  Rpc.make("list", { success: Schema.Array(AgentInfo) })
])

/** Spreads one agent's calls over `buckets` entities (so over shards and runners) by the message id. */
export const callEntityId = (agent: string, messageId: string, buckets: number): string => {
  let hash = 0
  for (let i = 0; i < messageId.length; i++) hash = (Math.imul(hash, 31) + messageId.charCodeAt(i)) | 0
  return `${agent}/${Math.abs(hash) % buckets}`
}

/** An agent's mailbox is one entity, so every sender and receiver meets the same queue. */
export const mailboxEntityId = (agent: string): string => `${agent}/mailbox`

/** Where `list` is asked from a client-only process: any one runner, all runners host the same agents. */
export const registryEntityId = "registry"
