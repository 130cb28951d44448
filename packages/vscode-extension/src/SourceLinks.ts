/**
 * Source locations named by a span: the frames of its exception stack traces, its
 * `code.stacktrace` attribute, and `code.filepath`/`code.file.path` with `code.lineno`/`code.line.number`.
 * Frames inside node_modules and Node's own modules are left out: they are rarely where to look.
 */
import { type SpanRecord, numberAttribute, stringAttribute } from "./Span.js"

export interface SourceLink {
  /** Absolute path. */
  readonly path: string
  /** 1-based. */
  readonly line: number
  readonly column: number
  /** The function named by the frame, when it names one. */
  readonly where: string | undefined
}

// "at fn (/abs/file.ts:12:5)", "at /abs/file.ts:12:5", "at fn (file:///abs/file.ts:12:5)".
const FRAME = /(?:at\s+(?:(.+?)\s+\()?)?(?:file:\/\/)?((?:\/|[A-Za-z]:[\\/])[^\s():]+):(\d+)(?::(\d+))?\)?/g

/** Every `path:line[:column]` in `text`, in order, without duplicates. */
export const parseSourceLinks = (text: string): ReadonlyArray<SourceLink> => {
  const links: Array<SourceLink> = []
  for (const match of text.matchAll(FRAME)) {
    const path = match[2]!
    if (/[\\/]node_modules[\\/]/.test(path) || path.startsWith("node:")) continue
    const where = match[1]?.trim()
    links.push({ path, line: Number(match[3]), column: Number(match[4] ?? "1"), where: where === undefined || where === "<anonymous>" ? undefined : where })
  }
  return dedupe(links)
}

const dedupe = (links: ReadonlyArray<SourceLink>): ReadonlyArray<SourceLink> => {
  const seen = new Set<string>()
  return links.filter((link) => {
    const key = `${link.path}:${link.line}:${link.column}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** The source locations a span names: exception stacks first, then its code.* attributes. */
export const spanSourceLinks = (span: SpanRecord): ReadonlyArray<SourceLink> => {
  const texts = span.events.filter((event) => event.name === "exception").map((event) => stringAttribute(event.attributes, "exception.stacktrace") ?? "")
  texts.push(stringAttribute(span.attributes, "code.stacktrace") ?? "")
  const links = texts.flatMap(parseSourceLinks)
  const file = stringAttribute(span.attributes, "code.filepath") ?? stringAttribute(span.attributes, "code.file.path")
  const line = numberAttribute(span.attributes, "code.lineno") ?? numberAttribute(span.attributes, "code.line.number")
  if (file !== undefined && line !== undefined) {
    const column = numberAttribute(span.attributes, "code.column") ?? numberAttribute(span.attributes, "code.column.number") ?? 1
    links.push({ path: file, line, column, where: stringAttribute(span.attributes, "code.function") ?? stringAttribute(span.attributes, "code.function.name") })
  }
  return dedupe(links)
}

/** The error a span failed with, readable: its status message, else its first exception's message. */
export const spanError = (span: SpanRecord): string | undefined => {
  if (span.status !== "error") return undefined
  const exception = span.events.find((event) => event.name === "exception")
  const message = span.statusMessage ?? (exception === undefined ? undefined : stringAttribute(exception.attributes, "exception.message"))
  const type = exception === undefined ? undefined : stringAttribute(exception.attributes, "exception.type")
  if (message === undefined) return type ?? "error"
  return type === undefined || message.startsWith(type) ? message : `${type}: ${message}`
}
