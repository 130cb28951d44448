/**
 * Every error an agent call can end with. They are `Schema.TaggedError`s because they cross the
 * wire: the DistributedRuntime encodes them into gRPC trailers and rebuilds the same class on the
 * caller. That is why the pattern and LLM errors live here, in core, beside the runtime's own.
 * The set is open: an application fails its agents with its own `Schema.TaggedError`s and
 * registers their schemas where they cross the wire (`Agent.make({ errors })`,
 * `DistributedRuntime.layer({ errors })`); a receiver that does not know a tag gets
 * `UnregisteredAgentError`.
 */
import { Schema } from "effect"
import { JsonObject } from "./Json.js"

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
  code: Schema.String,
  /**
   * False only when the request surely never reached a node (no connection could be made), so
   * sending it again cannot run the agent twice; true (the default) when it may have run.
   */
  mayHaveRun: Schema.optionalWith(Schema.Boolean, { default: () => true })
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

/** A request that could not be read: truncated protobuf, a non-JSON number (NaN, Infinity) in metadata, ... */
export class MalformedRequest extends Schema.TaggedError<MalformedRequest>()("MalformedRequest", {
  ...fields,
  method: Schema.String,
  issue: Schema.String
}) {
  static of(method: string, issue: string) {
    return new MalformedRequest({ method, issue, message: `The ${method} request could not be read: ${issue}` })
  }
}

/**
 * A defect (a bug, not a typed failure) on the node serving a call. The node logs it in full under
 * `incidentId`; the caller gets only this, with no stack or server paths.
 */
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", {
  ...fields,
  incidentId: Schema.String,
  agent: Schema.optional(Schema.String)
}) {}

/**
 * An error whose tag this side does not know (its schema was not registered here): its tag,
 * message and every field as JSON, so nothing is lost.
 */
export class UnregisteredAgentError extends Schema.TaggedError<UnregisteredAgentError>()("UnregisteredAgentError", {
  ...fields,
  tag: Schema.String,
  fields: JsonObject
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

/** The errors of core and its patterns and providers; also their wire schema. */
export const CoreAgentError = Schema.Union(
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
  RetrievalFailed,
  MalformedRequest,
  InternalError,
  UnregisteredAgentError
)
export type CoreAgentError = typeof CoreAgentError.Type

/** The wire schema of core's errors (kept under its old name). */
export const AgentError = CoreAgentError

/**
 * An application's own errors, by tag: add them by module augmentation, and they join `AgentError`
 * (agents may fail with them, callers catch them by tag with their fields typed):
 *
 *     declare module "@aixfx/core" { interface CustomAgentErrors { OutOfStock: OutOfStock } }
 *
 * Register their schemas too where they cross a process boundary (`Agent.make({ errors })`,
 * `DistributedRuntime.layer({ errors })`), so the other side rebuilds the same class.
 */
export interface CustomAgentErrors {}

/** Every error an agent call can end with: core's, and an application's own (`CustomAgentErrors`). */
export type AgentError = CoreAgentError | CustomAgentErrors[keyof CustomAgentErrors]

/** The schema of an application's own error: a tagged error class with a string `message`. */
export type ErrorSchema = Schema.Schema<any, any, never> & { readonly _tag: string; readonly fields: { readonly message: Schema.Schema<string> } }
