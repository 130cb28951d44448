/**
 * The service every pattern asks for. LocalRuntime and DistributedRuntime both provide it, so a
 * program (and a test suite) is written once and runs on either.
 */
import { Context, type Duration, Effect, type Either, Layer } from "effect"
import type { Agent } from "./Agent.js"
import type {
  AgentAlreadyRegistered,
  AgentError,
  AgentNotFound,
  InvalidAgentName,
  MessageTooLarge,
  RuntimeStopped,
  TransportError,
  Unauthenticated
} from "./AgentError.js"
import type { Message } from "./Message.js"

export interface CallOptions {
  /** Fails the call with `CallTimeout` after this long (overrides the runtime's default). */
  readonly timeout?: Duration.DurationInput
  /**
   * The caller's name for this call (a pattern's step, e.g. "plan" or "vote.a"). Runtimes ignore
   * it; a durable run keys its journal by it, so a call keeps its key whatever order calls arrive in.
   */
  readonly step?: string
}

export interface AgentInfo {
  readonly name: string
  readonly role: string
  readonly description: string
  readonly ready: boolean
  /** "local", or the endpoint(s) of the node that hosts it. */
  readonly location: string
}

export type RegisterError = InvalidAgentName | AgentAlreadyRegistered | RuntimeStopped | AgentError

/** How `send` and `receive` can fail; the transport errors only when the mailbox is on another node. */
export type MailboxError = AgentNotFound | InvalidAgentName | RuntimeStopped | TransportError | Unauthenticated | MessageTooLarge

export interface Service {
  readonly kind: "local" | "distributed"
  /** Registers `agent` and runs its `start`; its requirements are provided here, once. */
  readonly register: <R>(agent: Agent<R>) => Effect.Effect<void, RegisterError, R>
  /** Stops the agent (its start scope closes) and removes it. */
  readonly unregister: (name: string) => Effect.Effect<void, AgentNotFound>
  /** Calls an agent by name and waits for its reply. */
  readonly call: (name: string, message: Message, options?: CallOptions) => Effect.Effect<Message, AgentError>
  /** Calls several agents concurrently; every success and every typed failure, in input order. */
  readonly callAll: (
    names: ReadonlyArray<string>,
    message: Message,
    options?: CallOptions
  ) => Effect.Effect<ReadonlyArray<Either.Either<Message, AgentError>>>
  /** Puts a message in an agent's mailbox; waits while the mailbox is full (backpressure). */
  readonly send: (name: string, message: Message) => Effect.Effect<void, MailboxError>
  /** Takes the next message from an agent's mailbox; waits while it is empty. */
  readonly receive: (name: string) => Effect.Effect<Message, MailboxError>
  readonly list: Effect.Effect<ReadonlyArray<AgentInfo>>
  /** Whether the named agent is registered and ready. */
  readonly ready: (name: string) => Effect.Effect<boolean>
}

export class AgentRuntime extends Context.Tag("@aixfx/core/AgentRuntime")<AgentRuntime, Service>() {}

// ---- accessors: the runtime taken from the context ------------------------------------------

/** An agent by name, or the agent value itself (then a misspelt agent is a compile error). */
export type AgentRef = string | { readonly name: string }

const nameOf = (agent: AgentRef): string => (typeof agent === "string" ? agent : agent.name)

export const call = (agent: AgentRef, message: Message, options?: CallOptions) =>
  Effect.flatMap(AgentRuntime, (runtime) => runtime.call(nameOf(agent), message, options))

export const callAll = (agents: ReadonlyArray<AgentRef>, message: Message, options?: CallOptions) =>
  Effect.flatMap(AgentRuntime, (runtime) => runtime.callAll(agents.map(nameOf), message, options))

export const register = <R>(agent: Agent<R>) => Effect.flatMap(AgentRuntime, (runtime) => runtime.register(agent))

export const send = (name: string, message: Message) => Effect.flatMap(AgentRuntime, (runtime) => runtime.send(name, message))

export const receive = (name: string) => Effect.flatMap(AgentRuntime, (runtime) => runtime.receive(name))

export const list = Effect.flatMap(AgentRuntime, (runtime) => runtime.list)

/** A layer that registers agents into the runtime in the context (they stop with the runtime). */
export const layerAgents = <R>(...agents: ReadonlyArray<Agent<R>>): Layer.Layer<never, RegisterError, AgentRuntime | R> =>
  Layer.effectDiscard(Effect.forEach(agents, (agent) => register(agent), { discard: true }))
