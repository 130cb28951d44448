/**
 * An agent: a name, a role, and `execute` from one Message to another. Lifecycle (Aixgo's
 * Start/Stop/Ready) is a scoped `start` effect — its finalizers are the stop — and `ready`.
 */
import { Effect, type Schema, type Scope } from "effect"
import { type AgentError, type ErrorSchema, InvalidAgentName, type PayloadDecodeError } from "./AgentError.js"
import * as CallContext from "./CallContext.js"
import * as UntracedExecute from "./internal/untracedExecute.js"
import { type LlmOptions, makeLlmExecute } from "./internal/llmAgent.js"
import type { LanguageModel } from "./LanguageModel.js"
import { decodePayload, type Message } from "./Message.js"
import * as Traced from "./Traced.js"

export interface Agent<R = never> {
  readonly name: string
  readonly role: string
  readonly description: string
  readonly execute: (input: Message) => Effect.Effect<Message, AgentError, R>
  /** Acquires what the agent needs; finalizers added to the scope run when the agent stops. */
  readonly start: Effect.Effect<void, AgentError, R | Scope.Scope>
  /** Whether the agent can take calls now (checked by the runtime before every call). */
  readonly ready: Effect.Effect<boolean, never, R>
  /** Pattern agents say which kind they are; plain agents leave it undefined. */
  readonly kind?: string
  /** The schemas of the application's own errors the agent fails with, for the wire (see `CustomAgentErrors`). */
  readonly errors?: ReadonlyArray<ErrorSchema>
}

export interface MakeOptions<R> {
  readonly name: string
  readonly role?: string
  readonly description?: string
  readonly execute: (input: Message) => Effect.Effect<Message, AgentError, R>
  readonly start?: Effect.Effect<void, AgentError, R | Scope.Scope>
  readonly ready?: Effect.Effect<boolean, never, R>
  readonly kind?: string
  /** The schemas of the application's own errors `execute` fails with (see `CustomAgentErrors`). */
  readonly errors?: ReadonlyArray<ErrorSchema>
}

const NAME = /^[a-z][a-z0-9_-]{0,63}$/

export const isValidName = (name: string): boolean => NAME.test(name)

/** Succeeds with the name, or fails with `InvalidAgentName` saying what the rule is. */
export const validateName = (name: string): Effect.Effect<string, InvalidAgentName> =>
  isValidName(name) ? Effect.succeed(name) : Effect.fail(InvalidAgentName.of(name))

/** The `ready` of an agent that did not say: always ready (the runtime skips checking it). */
export const alwaysReady: Effect.Effect<boolean> = Effect.succeed(true)

/**
 * Makes an agent. `execute` is traced (`invoke_agent <name>`) and runs with the agent recorded in
 * the call context, so model calls inside it are attributed to this agent.
 */
export const make = <R = never>(options: MakeOptions<R>): Agent<R> => {
  const role = options.role ?? options.name
  const attributes = {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": options.name,
    "aixfx.agent.role": role,
    ...(options.kind === undefined ? {} : { "aixfx.agent.kind": options.kind })
  }
  // Built once per agent, not per call: this is every call's hot path. The span's stack trace
  // would only point here, so it is not captured (capturing it costs more than the rest of the span).
  const spanOptions = { attributes, kind: "internal", captureStackTrace: false } as const
  const spanName = `invoke_agent ${options.name}`
  return {
    name: options.name,
    role,
    description: options.description ?? role,
    execute: UntracedExecute.record((input) =>
      Effect.withFiberRuntime((fiber) => {
        if (!Traced.isTracing(fiber)) return CallContext.onFiberAs(fiber, options.name, options.execute(input))
        // The span first: the call context is set on the context that carries it as the parent.
        const run = CallContext.withAgent(options.name)(options.execute(input))
        return Effect.withSpan(Effect.tapError(run, (error) => Effect.annotateCurrentSpan("error.type", error._tag)), spanName, spanOptions)
      }), options.execute),
    start: options.start ?? Effect.void,
    ready: options.ready ?? alwaysReady,
    ...(options.kind === undefined ? {} : { kind: options.kind }),
    ...(options.errors === undefined ? {} : { errors: options.errors })
  }
}

/** An agent computing its reply with a plain function (handy for tools, tests and glue). */
export const fromFunction = (
  name: string,
  f: (input: Message) => Message | Effect.Effect<Message, AgentError>,
  options: { readonly role?: string; readonly description?: string } = {}
): Agent =>
  make({
    name,
    ...options,
    execute: (input) => {
      const out = f(input)
      return Effect.isEffect(out) ? out : Effect.succeed(out)
    }
  })

export type { AgentTool, LlmOptions, ToolApproval, ToolApprovalRequest } from "./internal/llmAgent.js"
export { CurrentToolApproval, handoffToolName } from "./internal/llmAgent.js"

/** An agent whose replies carry a typed value: its JSON payload, decoded with `output`. */
export interface TypedAgent<A, R = never> extends Agent<R> {
  /** The schema of its replies' payload. */
  readonly output: Schema.Schema<A, any>
  /** The typed value of one of its replies (`PayloadDecodeError` naming the field if it is not one). */
  readonly decode: (reply: Message) => Effect.Effect<A, PayloadDecodeError>
}

/**
 * An agent whose `execute` asks the `LanguageModel` service: the system prompt is `instructions`,
 * the user turn is the input payload (after any `metadata.conversation` turns). Tool calls run their
 * handlers (traced `execute_tool`); a `transfer_to_<agent>` call ends the turn with a handoff in
 * the reply's metadata (`handoff: { to, reason }`). With `output`, the model is asked for structured
 * output of that schema (OpenAI `response_format: json_schema`, Anthropic a forced tool), a reply
 * that does not match fails with `MalformedOutput` naming the agent and the field, and the agent
 * is a `TypedAgent`: `agent.decode(reply)` gives the typed value.
 */
export function llm<A, I>(options: LlmOptions & { readonly output: Schema.Schema<A, I> }): TypedAgent<A, LanguageModel>
export function llm(options: LlmOptions): Agent<LanguageModel>
export function llm(options: LlmOptions): Agent<LanguageModel> {
  const agent = make({
    name: options.name,
    ...(options.role === undefined ? {} : { role: options.role }),
    ...(options.description === undefined ? {} : { description: options.description }),
    execute: makeLlmExecute(options)
  })
  if (options.output === undefined) return agent
  const typed: TypedAgent<unknown, LanguageModel> = { ...agent, output: options.output, decode: decodePayload(options.output) }
  return typed
}
