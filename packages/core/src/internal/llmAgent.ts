import { Context, Effect, ParseResult, Schema } from "effect"
import { AgentFailed, type AgentError, MalformedOutput } from "../AgentError.js"
import type { JsonValue } from "../Json.js"
import * as LanguageModel from "../LanguageModel.js"
import * as Message from "../Message.js"
import * as Traced from "../Traced.js"

/** A tool an LLM agent may call: typed arguments, a handler, and what it returns to the model. */
export interface AgentTool<A = any> {
  readonly name: string
  readonly description: string
  readonly parameters: Schema.Schema<A, any>
  readonly handler: (args: A) => Effect.Effect<string | JsonValue, AgentError>
  /**
   * Ask a person before the tool runs: the run pauses with the call's arguments as the payload
   * (see `CurrentToolApproval`); the tool gets the arguments as approved, perhaps edited.
   */
  readonly needsApproval?: boolean
}

/** A tool call waiting for a decision: who asks, which tool, and the arguments the model gave (JSON). */
export interface ToolApprovalRequest {
  readonly agent: string
  readonly tool: string
  readonly callId: string
  readonly arguments: string
}

/**
 * Decides `needsApproval` tool calls: the arguments to run the tool with (JSON), or a typed error
 * (e.g. `ApprovalRejected`). A durable layer provides it; without one such a tool cannot run.
 */
export type ToolApproval = (request: ToolApprovalRequest) => Effect.Effect<string, AgentError>

export class CurrentToolApproval extends Context.Reference<CurrentToolApproval>()("@aixfx/core/Agent/CurrentToolApproval", {
  defaultValue: (): ToolApproval | undefined => undefined
}) {}

export interface LlmOptions {
  readonly name: string
  readonly role?: string
  readonly description?: string
  readonly instructions: string
  readonly model?: string
  readonly temperature?: number
  readonly maxTokens?: number
  readonly tools?: ReadonlyArray<AgentTool>
  /** Agents this one may hand off to: each becomes a `transfer_to_<agent>` tool (Swarm). */
  readonly handoffs?: ReadonlyArray<string>
  /** Bound on model ↔ tool round trips in one execution (default 5). */
  readonly maxToolRounds?: number
  /**
   * The shape of the answer: asked of the model as structured output (`responseSchema`), checked
   * before the agent replies (a mismatch is `MalformedOutput` naming the agent and the field), and
   * sent as the reply's JSON payload (type "json").
   */
  readonly output?: Schema.Schema<any, any>
}

/** The first issue of a parse error: its field path (`$.a.b`) and what is wrong there. */
const firstIssue = (error: ParseResult.ParseError) => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return { path: ["$", ...(first?.path.map(String) ?? [])].join("."), issue: first?.message ?? error.message }
}

/** A prior turn carried in `metadata.conversation` (Swarm passes the conversation so far). */
const Turn = Schema.Struct({ role: Schema.Literal("user", "assistant"), content: Schema.String, agent: Schema.optional(Schema.String) })
const Conversation = Schema.Array(Turn)
const decodeConversation = Schema.decodeUnknownOption(Conversation)

const HandoffArgs = Schema.Struct({ reason: Schema.optional(Schema.String) })
export const handoffToolName = (agent: string) => `transfer_to_${agent.replace(/-/g, "_")}`

export const makeLlmExecute = (options: LlmOptions) => {
  const handoffTools = new Map((options.handoffs ?? []).map((to) => [handoffToolName(to), to]))
  const tools: ReadonlyArray<LanguageModel.Tool> = [
    ...(options.tools ?? []).map(({ name, description, parameters }) => ({ name, description, parameters })),
    ...[...handoffTools].map(([name, to]) => ({
      name,
      description: `Hand the conversation over to the "${to}" agent when it is better placed to answer.`,
      parameters: HandoffArgs
    }))
  ]
  const handlers = new Map((options.tools ?? []).map((t) => [t.name, t]))
  const maxRounds = options.maxToolRounds ?? 5
  const output = options.output === undefined ? undefined : Schema.parseJson(options.output)

  /** The model's final text, checked against `output`, as the reply's JSON payload. */
  const typedPayload = (response: LanguageModel.GenerateResponse): Effect.Effect<string, MalformedOutput> =>
    output === undefined
      ? Effect.succeed(response.text)
      : Schema.decodeUnknown(output)(response.text).pipe(
        Effect.flatMap(Schema.encode(output)),
        Effect.mapError((error) => {
          const { issue, path } = firstIssue(error)
          return new MalformedOutput({
            provider: response.provider,
            model: response.model,
            output: response.text,
            message: `Agent "${options.name}": the model's answer does not match its output schema at ${path}: ${issue}`
          })
        })
      )

  const approve = (call: LanguageModel.ToolCall): Effect.Effect<string, AgentError> =>
    Effect.flatMap(CurrentToolApproval, (approval) =>
      approval === undefined
        ? Effect.fail(AgentFailed.of(options.name, `tool "${call.name}" needs approval, but no approval service is provided (provide a durable layer)`))
        : approval({ agent: options.name, tool: call.name, callId: call.id, arguments: call.arguments }))

  const runTool = (call: LanguageModel.ToolCall, provider: string, model: string) => {
    const tool = handlers.get(call.name)
    if (tool === undefined) {
      return Effect.fail(AgentFailed.of(options.name, `the model called an unknown tool "${call.name}"`))
    }
    const approved = tool.needsApproval === true ? approve(call) : Effect.succeed(call.arguments)
    return Effect.flatMap(approved, Schema.decodeUnknown(Schema.parseJson(tool.parameters))).pipe(
      Effect.mapError(
        (e) => new MalformedOutput({ provider, model, output: call.arguments, message: `Agent "${options.name}": arguments for tool "${call.name}" are invalid: ${e.message}` })
      ),
      Effect.flatMap(tool.handler),
      Effect.map((out) => (typeof out === "string" ? out : JSON.stringify(out))),
      Traced.span(`execute_tool ${call.name}`, {
        attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": call.name, "gen_ai.tool.call.id": call.id }
      })
    )
  }

  return (input: Message.Message) =>
    Effect.gen(function* () {
      const model = yield* LanguageModel.LanguageModel
      const conversation = input.metadata["conversation"]
      // Most messages carry none: decoding `undefined` would build a parse error to throw away.
      const history = conversation === undefined ? [] : decodeConversation(conversation).pipe((o) => (o._tag === "Some" ? o.value : []))
      const messages: Array<LanguageModel.ChatMessage> = [
        { role: "system", content: options.instructions },
        ...history.map((t) => ({ role: t.role, content: t.content })),
        { role: "user", content: input.payload }
      ]
      for (let round = 0; ; round++) {
        const response = yield* model.generate({
          messages,
          ...(options.model === undefined ? {} : { model: options.model }),
          ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
          ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
          ...(tools.length === 0 ? {} : { tools }),
          ...(options.output === undefined ? {} : { responseSchema: options.output })
        })
        const meta = {
          agent: options.name,
          model: response.model,
          usage: { inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens }
        }
        const handoff = response.toolCalls.find((c) => handoffTools.has(c.name))
        if (handoff !== undefined) {
          const args = Schema.decodeUnknownOption(Schema.parseJson(HandoffArgs))(handoff.arguments)
          const reason = args._tag === "Some" ? args.value.reason ?? "" : ""
          return Message.reply(input, { payload: response.text, metadata: { ...meta, handoff: { to: handoffTools.get(handoff.name)!, reason } } })
        }
        if (response.toolCalls.length === 0) {
          const payload = yield* typedPayload(response)
          return Message.reply(input, { payload, metadata: meta, ...(output === undefined ? {} : { type: "json" }) })
        }
        if (round >= maxRounds) {
          return yield* Effect.fail(AgentFailed.of(options.name, `still calling tools after ${maxRounds} rounds`))
        }
        messages.push({ role: "assistant", content: response.text, toolCalls: response.toolCalls })
        for (const call of response.toolCalls) {
          const output = yield* runTool(call, response.provider, response.model)
          messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: output })
        }
      }
    })
}
