/**
 * The cassette file `RecordingModel` writes and `ReplayModel` reads: each request (normalised to
 * JSON, schemas as JSON Schema) with the response, or the streamed parts, or the typed error.
 */
import * as LanguageModel from "@aixfx/core/LanguageModel"
import * as Usage from "@aixfx/core/Usage"
import { LlmError } from "@aixfx/core/AgentError"
import { Schema } from "effect"

/** `Usage` as JSON (its fields, without the class). */
type UsageJson = Usage.Usage.Fields

export interface Interaction {
  readonly request: unknown
  /** `generate`'s answer, or a stream's parts. */
  readonly response?: Omit<LanguageModel.GenerateResponse, "usage"> & { readonly usage: UsageJson }
  readonly stream?: ReadonlyArray<unknown>
  /** The typed error the call ended with (encoded). */
  readonly error?: unknown
}

export interface Cassette {
  readonly version: 1
  readonly interactions: ReadonlyArray<Interaction>
}

export const empty: Cassette = { version: 1, interactions: [] }

/** The request as JSON: what identifies it in a cassette. */
export const normalize = (request: LanguageModel.GenerateRequest & { readonly model: string }): unknown => ({
  model: request.model,
  messages: request.messages,
  ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
  ...(request.tools === undefined
    ? {}
    : { tools: request.tools.map((t) => ({ name: t.name, description: t.description, parameters: LanguageModel.jsonSchema(t.parameters) })) }),
  ...(request.toolChoice === undefined ? {} : { toolChoice: request.toolChoice }),
  ...(request.responseSchema === undefined ? {} : { responseSchema: LanguageModel.jsonSchema(request.responseSchema) }),
  ...(request.stop === undefined ? {} : { stop: request.stop })
})

export const encodeError = Schema.encodeSync(LlmError)
export const decodeError = Schema.decodeUnknownSync(LlmError)

/** Parts and responses as read back from JSON, with `Usage` instances again. */
export const reviveUsage = <A extends { readonly usage: UsageJson }>(value: A): A & { readonly usage: Usage.Usage } => ({
  ...value,
  usage: Usage.make(value.usage)
})

export const reviveParts = (parts: ReadonlyArray<unknown>): ReadonlyArray<LanguageModel.StreamPart> =>
  parts.map((p) => {
    const part = p as LanguageModel.StreamPart
    return part._tag === "Finish" ? reviveUsage(part) : part
  })
