/**
 * Captured prompts and outputs (`gen_ai.input.messages`, `gen_ai.output.messages`: JSON lists of
 * `{role, parts: [{type, content}]}` or `{role, content}`) as a chat transcript in Markdown, one
 * section per message, instead of raw JSON. Anything else is shown as it came.
 */
export interface ChatMessage {
  readonly role: string
  readonly text: string
}

const partText = (part: unknown): string => {
  if (typeof part === "string") return part
  if (typeof part !== "object" || part === null) return JSON.stringify(part)
  const record = part as Record<string, unknown>
  if (typeof record["content"] === "string") return record["content"]
  if (typeof record["text"] === "string") return record["text"]
  if (record["type"] === "tool_call") return `tool call \`${String(record["name"])}\` ${JSON.stringify(record["arguments"] ?? {})}`
  if (record["type"] === "tool_call_response") return `tool result: ${typeof record["response"] === "string" ? record["response"] : JSON.stringify(record["response"])}`
  return JSON.stringify(part)
}

/** The messages of a captured value, or undefined when it is not a message list. */
export const parseChat = (value: string): ReadonlyArray<ChatMessage> | undefined => {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return undefined
  }
  if (!Array.isArray(parsed)) return undefined
  const messages: Array<ChatMessage> = []
  for (const item of parsed) {
    if (typeof item !== "object" || item === null || typeof (item as { role?: unknown }).role !== "string") return undefined
    const message = item as { role: string; parts?: unknown; content?: unknown }
    const parts = Array.isArray(message.parts) ? message.parts : message.content === undefined ? [] : [message.content]
    messages.push({ role: message.role, text: parts.map(partText).join("\n\n") })
  }
  return messages
}

/** A Markdown transcript: a heading per message. */
export const chatMarkdown = (title: string, messages: ReadonlyArray<ChatMessage>): string =>
  [`# ${title}`, ...messages.map((message) => `## ${message.role}\n\n${message.text}`)].join("\n\n") + "\n"

/** Back from an edited transcript to the list a provider takes (the inverse of `chatMarkdown`). */
export const parseChatMarkdown = (markdown: string): ReadonlyArray<ChatMessage> => {
  const messages: Array<ChatMessage> = []
  for (const section of markdown.split(/^## /m).slice(1)) {
    const newline = section.indexOf("\n")
    const role = (newline < 0 ? section : section.slice(0, newline)).trim()
    messages.push({ role, text: newline < 0 ? "" : section.slice(newline + 1).trim() })
  }
  return messages
}
