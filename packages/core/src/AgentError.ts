/**
 * Every error an agent call can end with. They are `Schema.TaggedError`s because they cross the
 * wire: the DistributedRuntime encodes them into gRPC trailers and rebuilds the same class on the
 * caller. That is why the pattern and LLM errors live here, in core, beside the runtime's own:
 * the wire codec must know every shape an agent may fail with.
 */
import { Schema } from "effect"

const fields = { message: Schema.String }

// ---- runtime -------------------------------------------------------------------------------
export class InvalidAgentName extends Schema.TaggedError<InvalidAgentName>()("InvalidAgentName", {
  ...fields,
  name: Schema.String
}) {
  static of(name: string) {
    return new InvalidAgentName({
      name,
      message: `Invalid agent name ${JSON.stringify(name)}: it must match ^[a-z][a-z0-9_-]{0,63}$ (lower case, starting with a letter, at most 64 characters)`
    })
  }
}

export class AgentAlreadyRegistered extends Schema.TaggedError<AgentAlreadyRegistered>()("AgentAlreadyRegistered", {
  ...fields,
  agent: Schema.String
}) {
  static of(agent: string) {
    return new AgentAlreadyRegistered({ agent, message: `An agent named "${agent}" is already registered` })
  }
}

export class AgentNotFound extends Schema.TaggedError<AgentNotFound>()("AgentNotFound", {
  ...fields,
  agent: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  static of(agent: string, available: ReadonlyArray<string>) {
    return new AgentNotFound({
      agent,
      available: [...available].sort(),
      message: `No agent named "${agent}"; registered agents: ${available.length === 0 ? "(none)" : [...available].sort().join(", ")}`
    })
  }
}

export class AgentNotReady extends Schema.TaggedError<AgentNotReady>()("AgentNotReady", {
  ...fields,
  agent: Schema.String
}) {
  static of(agent: string) {
    return new AgentNotReady({ agent, message: `Agent "${agent}" is registered but not ready` })
  }
}

export class RuntimeStopped extends Schema.TaggedError<RuntimeStopped>()("RuntimeStopped", {
  ...fields,
  agent: Schema.optional(Schema.String)
}) {
  static of(agent?: string) {
    return new RuntimeStopped({
      ...(agent === undefined ? {} : { agent }),
      message: agent === undefined ? "The agent runtime has stopped" : `The agent runtime stopped while calling "${agent}"`
    })
  }
}

export class CallTimeout extends Schema.TaggedError<CallTimeout>()("CallTimeout", {
  ...fields,
  agent: Schema.String,
  timeoutMs: Schema.Number
}) {
  static of(agent: string, timeoutMs: number) {
    return new CallTimeout({ agent, timeoutMs, message: `Call to agent "${agent}" timed out after ${timeoutMs} ms` })
  }
}

export class PayloadDecodeError extends Schema.TaggedError<PayloadDecodeError>()("PayloadDecodeError", {
  ...fields,
  messageId: Schema.String,
  path: Schema.String,
  issue: Schema.String
}) {}

/** A user agent's own failure: what went wrong, in the words of the agent that failed. */
export class AgentFailed extends Schema.TaggedError<AgentFailed>()("AgentFailed", {
  ...fields,
  agent: Schema.String,
  reason: Schema.String
}) {
  static of(agent: string, reason: string) {
    return new AgentFailed({ agent, reason, message: `Agent "${agent}" failed: ${reason}` })
  }
}

// ---- transport (DistributedRuntime) --------------------------------------------------------
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  ...fields,
  agent: Schema.String,
  endpoint: Schema.String,
  code: Schema.String
}) {}

export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  ...fields,
  endpoint: Schema.String
}) {}

export class MessageTooLarge extends Schema.TaggedError<MessageTooLarge>()("MessageTooLarge", {
  ...fields,
  agent: Schema.String,
  sizeBytes: Schema.Number,
  limitBytes: Schema.Number
}) {}

// ---- language models -----------------------------------------------------------------------
const llmFields = {
  ...fields,
  provider: Schema.String,
  model: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number),
  requestId: Schema.optional(Schema.String),
  /** How long the provider asked to wait before a retry (`retry-after-ms` / `retry-after`). */
  retryAfterMs: Schema.optional(Schema.Number),
  /** The provider's own verdict on retrying (`x-should-retry`), which wins over the error's kind. */
  shouldRetry: Schema.optional(Schema.Boolean)
}

export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", llmFields) {}
export class AuthenticationFailed extends Schema.TaggedError<AuthenticationFailed>()("AuthenticationFailed", llmFields) {}
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", llmFields) {}
export class ContextLengthExceeded extends Schema.TaggedError<ContextLengthExceeded>()("ContextLengthExceeded", llmFields) {}
export class ContentFiltered extends Schema.TaggedError<ContentFiltered>()("ContentFiltered", llmFields) {}
export class ProviderUnavailable extends Schema.TaggedError<ProviderUnavailable>()("ProviderUnavailable", llmFields) {}
export class LlmTimeout extends Schema.TaggedError<LlmTimeout>()("LlmTimeout", {
  ...llmFields,
  timeoutMs: Schema.optional(Schema.Number)
}) {}
export class NetworkError extends Schema.TaggedError<NetworkError>()("NetworkError", llmFields) {}
/** The model answered, but not in the shape that was asked for (structured output, tool arguments). */
export class MalformedOutput extends Schema.TaggedError<MalformedOutput>()("MalformedOutput", {
  ...llmFields,
  output: Schema.String
}) {}
export class BudgetExceeded extends Schema.TaggedError<BudgetExceeded>()("BudgetExceeded", {
  ...fields,
  scope: Schema.String,
  limit: Schema.Number,
  spent: Schema.Number,
  estimate: Schema.Number,
  unit: Schema.Literal("usd", "tokens")
}) {}

export const LlmError = Schema.Union(
  RateLimited,
  AuthenticationFailed,
  InvalidRequest,
  ContextLengthExceeded,
  ContentFiltered,
  ProviderUnavailable,
  LlmTimeout,
  NetworkError,
  MalformedOutput,
  BudgetExceeded
)
export type LlmError = typeof LlmError.Type

/** True for the failures worth retrying: rate limits, unavailability, timeouts, network; the provider's `x-should-retry` wins. */
export const isRetryableLlmError = (error: LlmError): boolean =>
  "shouldRetry" in error && error.shouldRetry !== undefined ? error.shouldRetry : error._tag === "RateLimited" || error._tag === "ProviderUnavailable" || error._tag === "LlmTimeout" ||
  error._tag === "NetworkError"

// ---- patterns ------------------------------------------------------------------------------
const StepFailure = Schema.Struct({ step: Schema.String, tag: Schema.String, message: Schema.String })
export type StepFailure = typeof StepFailure.Type

export class InsufficientResults extends Schema.TaggedError<InsufficientResults>()("InsufficientResults", {
  ...fields,
  pattern: Schema.String,
  required: Schema.Number,
  succeeded: Schema.Number,
  failures: Schema.Array(StepFailure)
}) {}
export class RouteNotFound extends Schema.TaggedError<RouteNotFound>()("RouteNotFound", {
  ...fields,
  pattern: Schema.String,
  label: Schema.String,
  routes: Schema.Array(Schema.String)
}) {}
export class InvalidHandoff extends Schema.TaggedError<InvalidHandoff>()("InvalidHandoff", {
  ...fields,
  pattern: Schema.String,
  from: Schema.String,
  to: Schema.String,
  agents: Schema.Array(Schema.String)
}) {}
export class MaxHandoffsExceeded extends Schema.TaggedError<MaxHandoffsExceeded>()("MaxHandoffsExceeded", {
  ...fields,
  pattern: Schema.String,
  maxHandoffs: Schema.Number,
  path: Schema.Array(Schema.String)
}) {}
export class CritiqueUnparsable extends Schema.TaggedError<CritiqueUnparsable>()("CritiqueUnparsable", {
  ...fields,
  pattern: Schema.String,
  critic: Schema.String,
  output: Schema.String
}) {}
export class PlanInvalid extends Schema.TaggedError<PlanInvalid>()("PlanInvalid", {
  ...fields,
  pattern: Schema.String,
  manager: Schema.String,
  output: Schema.String
}) {}
export class UnknownTeam extends Schema.TaggedError<UnknownTeam>()("UnknownTeam", {
  ...fields,
  pattern: Schema.String,
  team: Schema.String,
  teams: Schema.Array(Schema.String)
}) {}
export class MaxDepthExceeded extends Schema.TaggedError<MaxDepthExceeded>()("MaxDepthExceeded", {
  ...fields,
  pattern: Schema.String,
  maxDepth: Schema.Number,
  path: Schema.Array(Schema.String)
}) {}
export class InsufficientAgreement extends Schema.TaggedError<InsufficientAgreement>()("InsufficientAgreement", {
  ...fields,
  pattern: Schema.String,
  agreement: Schema.Number,
  threshold: Schema.Number,
  tally: Schema.Record({ key: Schema.String, value: Schema.Number })
}) {}
export class PatternTimeout extends Schema.TaggedError<PatternTimeout>()("PatternTimeout", {
  ...fields,
  pattern: Schema.String,
  step: Schema.optional(Schema.String),
  timeoutMs: Schema.Number
}) {}

// ---- human in the loop ----------------------------------------------------------------------
/** A person rejected what a run asked approval for (or its deadline passed with rejection as the default). */
export class ApprovalRejected extends Schema.TaggedError<ApprovalRejected>()("ApprovalRejected", {
  ...fields,
  runId: Schema.String,
  approval: Schema.String,
  reason: Schema.String
}) {}

// ---- retrieval -----------------------------------------------------------------------------
export class RetrievalFailed extends Schema.TaggedError<RetrievalFailed>()("RetrievalFailed", {
  ...fields,
  retriever: Schema.String,
  reason: Schema.String
}) {}

/** The closed set of errors an agent call can fail with; also the wire schema for them. */
export const AgentError = Schema.Union(
  InvalidAgentName,
  AgentAlreadyRegistered,
  AgentNotFound,
  AgentNotReady,
  RuntimeStopped,
  CallTimeout,
  PayloadDecodeError,
  AgentFailed,
  TransportError,
  Unauthenticated,
  MessageTooLarge,
  LlmError,
  InsufficientResults,
  RouteNotFound,
  InvalidHandoff,
  MaxHandoffsExceeded,
  CritiqueUnparsable,
  PlanInvalid,
  UnknownTeam,
  MaxDepthExceeded,
  InsufficientAgreement,
  PatternTimeout,
  ApprovalRejected,
  RetrievalFailed
)
export type AgentError = typeof AgentError.Type
