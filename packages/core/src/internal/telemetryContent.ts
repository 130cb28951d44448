/**
 * Content capture: prompts and completions on `chat` spans (`gen_ai.input.messages` /
 * `gen_ai.output.messages`), off unless switched on, truncated, and scrubbed of API keys.
 */
import { FiberRef } from "effect"
import type { ChatMessage, FinishReason, ToolCall } from "../LanguageModel.js"

export interface ContentCaptureOptions {
  /** Whether prompts and completions are recorded on `chat` spans (default: false). */
  readonly enabled: boolean
  /** Longest text part kept, in characters; the rest is cut with a marker (default 4096). */
  readonly maxLength: number
}

export const DEFAULT_MAX_LENGTH = 4096

/** The content-capture setting in effect; off unless a Telemetry layer or `withContentCapture` turns it on. */
export const currentContentCapture: FiberRef.FiberRef<ContentCaptureOptions> = FiberRef.unsafeMake<ContentCaptureOptions>({
  enabled: false,
  maxLength: DEFAULT_MAX_LENGTH
})

/** Shapes of API keys and bearer tokens: OpenAI, Anthropic, Langfuse, Google, GitHub, AWS access keys, `Bearer …`. */
const SECRET_SHAPES: ReadonlyArray<RegExp> = [
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  /\bpk-lf-[A-Za-z0-9-]{8,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bBearer\s+[A-Za-z0-9._~+/-]{8,}=*/gi
]

export const REDACTED = "[redacted]"

/** Replaces anything shaped like an API key or bearer token. */
export const scrub = (text: string): string => SECRET_SHAPES.reduce((out, shape) => out.replace(shape, REDACTED), text)

/** Scrubs, then keeps at most `maxLength` characters, saying how much was cut. */
export const clip = (text: string, maxLength: number): string => {
  const clean = scrub(text)
  return clean.length <= maxLength ? clean : `${clean.slice(0, maxLength)}…[truncated ${clean.length - maxLength} chars]`
}

type Part =
  | { readonly type: "text"; readonly content: string }
  | { readonly type: "tool_call"; readonly id: string; readonly name: string; readonly arguments: string }
  | { readonly type: "tool_call_response"; readonly id: string; readonly response: string }

const toolCallParts = (calls: ReadonlyArray<ToolCall>, maxLength: number): Array<Part> =>
  calls.map((c) => ({ type: "tool_call", id: c.id, name: c.name, arguments: clip(c.arguments, maxLength) }))

/** The request's messages in the GenAI conventions' shape (role + parts), as a JSON string. */
export const inputMessages = (messages: ReadonlyArray<ChatMessage>, maxLength: number): string =>
  JSON.stringify(
    messages.map((m) => {
      switch (m.role) {
        case "tool":
          return { role: "tool", parts: [{ type: "tool_call_response", id: m.toolCallId, response: clip(m.content, maxLength) }] }
        case "assistant":
          return {
            role: "assistant",
            parts: [
              ...(m.content === "" ? [] : [{ type: "text", content: clip(m.content, maxLength) }]),
              ...toolCallParts(m.toolCalls ?? [], maxLength)
            ]
          }
        default:
          return { role: m.role, parts: [{ type: "text", content: clip(m.content, maxLength) }] }
      }
    })
  )

/** The reply in the GenAI conventions' shape, as a JSON string. */
export const outputMessages = (
  output: { readonly text: string; readonly toolCalls: ReadonlyArray<ToolCall> },
  finishReason: FinishReason | undefined,
  maxLength: number
): string =>
  JSON.stringify([
    {
      role: "assistant",
      parts: [...(output.text === "" ? [] : [{ type: "text", content: clip(output.text, maxLength) }]), ...toolCallParts(output.toolCalls, maxLength)],
      ...(finishReason === undefined ? {} : { finish_reason: finishReason })
    }
  ])
