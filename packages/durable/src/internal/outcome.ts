/**
 * How a step's outcome is journaled: its reply, or its typed failure encoded with the error's own
 * schema — core's (`AgentError`), or one of the application's (`CustomAgentErrors`) whose schema was
 * registered (`Agent.make({ errors })`, `Durable.layer({ errors })`), so a replay rebuilds the same class.
 */
import { AgentError, type AgentError as AnyAgentError, type ErrorSchema, Message, UnregisteredAgentError } from "@aixfx/core"
import { Either, Exit, Schema } from "effect"

type StepExit = Exit.Exit<Message.Message, AnyAgentError>

const exitSchema = (failure: Schema.Schema<any, any>) => Schema.Exit({ success: Message.Message, failure, defect: Schema.Defect })
const CoreExit = exitSchema(AgentError)
const encodeCore = Schema.encodeSync(CoreExit)
const decodeCore = Schema.decodeUnknownEither(CoreExit)
const isCoreError = Schema.is(AgentError)

export class OutcomeCodec {
  private readonly custom = new Map<string, { readonly encode: (exit: StepExit) => unknown; readonly decode: (json: unknown) => StepExit }>()

  /** Makes failures with these schemas' tags journaled (a later registration of a tag wins). */
  register(schemas: ReadonlyArray<ErrorSchema>): void {
    for (const schema of schemas) {
      const exit = exitSchema(schema)
      this.custom.set(schema._tag, { encode: Schema.encodeSync(exit), decode: Schema.decodeUnknownSync(exit) as (json: unknown) => StepExit })
    }
  }

  /**
   * The outcome as journal text, or undefined when it is not journaled: an interruption, a defect,
   * or an error whose schema is not known here (the step then runs again on replay).
   */
  encode(exit: StepExit): string | undefined {
    if (Exit.isSuccess(exit)) return JSON.stringify(encodeCore(exit))
    if (exit.cause._tag !== "Fail") return undefined
    const error = exit.cause.error
    if (isCoreError(error)) return JSON.stringify(encodeCore(exit as Exit.Exit<Message.Message, AgentError>))
    const custom = this.custom.get(error._tag)
    return custom === undefined ? undefined : JSON.stringify(custom.encode(exit))
  }

  /** The journaled outcome again; an error whose schema is no longer registered comes back as `UnregisteredAgentError`. */
  decode(text: string): StepExit {
    const json = JSON.parse(text) as { readonly cause?: { readonly _tag: string; readonly error?: Record<string, unknown> } }
    const core = decodeCore(json)
    if (Either.isRight(core)) return core.right
    const error = json.cause?.error ?? {}
    const tag = String(error["_tag"])
    const custom = this.custom.get(tag)
    if (custom !== undefined) return custom.decode(json)
    const { _tag, ...fields } = error
    return Exit.fail(
      new UnregisteredAgentError({ tag, fields: fields as typeof UnregisteredAgentError.Type["fields"], message: String(error["message"] ?? tag) })
    )
  }
}
