/**
 * Turns files and strings into `Document`s: Markdown and plain text as they are, HTML stripped to
 * text (headings kept as Markdown headings so the chunker still sees them). Files that are empty or
 * binary are not documents: they come back in `skipped` with the reason, for ingestion to report.
 */
import type * as Json from "@aixfx/core/Json"
import { Effect } from "effect"
import { readdir, readFile, stat } from "node:fs/promises"
import { extname, join, relative } from "node:path"
import { LoadFailed } from "./RagError.js"

export type Format = "markdown" | "text" | "html"

export interface Document {
  /** Identifies the document in the store: a relative path, a URL, any stable name. */
  readonly source: string
  readonly text: string
  readonly metadata: Json.JsonObject
}

export interface Skipped {
  readonly source: string
  readonly reason: string
}

export interface Loaded {
  readonly documents: ReadonlyArray<Document>
  readonly skipped: ReadonlyArray<Skipped>
}

export const EXTENSIONS: Readonly<Record<string, Format>> = { ".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html" }

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " }

/** The text of an HTML page: scripts and styles dropped, headings as `#` lines, entities decoded. */
export const htmlToText = (html: string): string =>
  html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi, (_, level: string, inner: string) => `\n\n${"#".repeat(Number(level))} ${inner.replace(/<[^>]*>/g, "").trim()}\n\n`)
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<(br|hr)\b[^>]*>|<\/(p|div|section|article|ul|ol|tr|table|pre|blockquote|header|footer|main|nav)\s*>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, code: string) =>
      code[0] === "#"
        ? String.fromCodePoint(code[1] === "x" || code[1] === "X" ? parseInt(code.slice(2), 16) : Number(code.slice(1)))
        : ENTITIES[code.toLowerCase()] ?? entity
    )
    .split("\n")
    .map((line) => line.replace(/[ \t]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()

/** A document from a string; `format` decides whether it is HTML to strip (default: from the source's extension). */
export const fromString = (
  source: string,
  content: string,
  options: { readonly format?: Format; readonly metadata?: Json.JsonObject } = {}
): Document => {
  const format = options.format ?? EXTENSIONS[extname(source).toLowerCase()] ?? "text"
  return { source, text: format === "html" ? htmlToText(content) : content, metadata: { format, ...options.metadata } }
}

/** Why `bytes` cannot be a text document, or undefined when it can. */
const unusable = (bytes: Uint8Array): string | undefined => {
  if (bytes.length === 0) return "empty file"
  if (bytes.subarray(0, 8192).includes(0)) return "binary file (contains NUL bytes)"
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch {
    return "binary file (not valid UTF-8)"
  }
  return undefined
}

export interface FileOptions {
  /** Sources are paths relative to this folder (default: the working directory). */
  readonly root?: string
}

/** Reads the files; a file that is missing or unreadable fails with `LoadFailed` naming it. */
export const fromFiles = (paths: ReadonlyArray<string>, options: FileOptions = {}): Effect.Effect<Loaded, LoadFailed> =>
  Effect.gen(function* () {
    const documents: Array<Document> = []
    const skipped: Array<Skipped> = []
    for (const path of paths) {
      const source = relative(options.root ?? process.cwd(), path).split("\\").join("/")
      const bytes = yield* Effect.tryPromise({ try: () => readFile(path), catch: (e) => LoadFailed.of(path, e) })
      const reason = unusable(bytes)
      if (reason !== undefined) skipped.push({ source, reason })
      else documents.push(fromString(source, new TextDecoder().decode(bytes)))
    }
    return { documents, skipped }
  })

/** Every file under `dir` (recursively) whose extension is one of `extensions` (default: .md .markdown .txt .html .htm). */
export const fromDirectory = (
  dir: string,
  options: FileOptions & { readonly extensions?: ReadonlyArray<string> } = {}
): Effect.Effect<Loaded, LoadFailed> =>
  Effect.gen(function* () {
    const extensions = new Set(options.extensions ?? Object.keys(EXTENSIONS))
    const info = yield* Effect.tryPromise({ try: () => stat(dir), catch: (e) => LoadFailed.of(dir, e) })
    if (!info.isDirectory()) return yield* Effect.fail(LoadFailed.of(dir, "not a directory"))
    const entries = yield* Effect.tryPromise({ try: () => readdir(dir, { recursive: true, withFileTypes: true }), catch: (e) => LoadFailed.of(dir, e) })
    const paths = entries
      .filter((entry) => entry.isFile() && extensions.has(extname(entry.name).toLowerCase()))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort()
    return yield* fromFiles(paths, options)
  })
