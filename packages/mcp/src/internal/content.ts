/** MCP content parts as the text a model reads. */

interface Part {
  readonly type?: unknown
  readonly text?: unknown
  readonly mimeType?: unknown
  readonly uri?: unknown
  readonly resource?: { readonly uri?: unknown; readonly text?: unknown }
}

const partText = (part: Part): string => {
  switch (part.type) {
    case "text":
      return String(part.text ?? "")
    case "resource":
      return typeof part.resource?.text === "string" ? part.resource.text : `[resource ${String(part.resource?.uri ?? "")}]`
    case "resource_link":
      return `[resource ${String(part.uri ?? "")}]`
    default:
      return `[${String(part.type)}${part.mimeType === undefined ? "" : ` ${String(part.mimeType)}`}]`
  }
}

/** The text parts one per line; images, audio and resources without text are named, not inlined. */
export const contentText = (content: ReadonlyArray<unknown>): string =>
  content.map((part) => partText(typeof part === "object" && part !== null ? part as Part : { type: "text", text: String(part) })).join("\n")
