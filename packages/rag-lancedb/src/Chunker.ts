/**
 * Splits a document into chunks of at most `maxTokens` tokens (o200k, core's `Tokenizer`) with
 * `overlapTokens` of trailing context repeated at the start of the next chunk. Chunks never cross a
 * Markdown heading; each carries its heading path ("Guide > Install") as metadata and as its first
 * line, so both the vector and the full-text index see what the section is about.
 */
import * as Tokenizer from "@aixfx/core/Tokenizer"

export interface Options {
  /** Upper bound on a chunk's tokens, heading line included (default 256). */
  readonly maxTokens?: number
  /** Tokens of the previous chunk's tail repeated in the next one (default 32). */
  readonly overlapTokens?: number
}

export interface Chunk {
  /** Position in the document, from 0. */
  readonly index: number
  readonly text: string
  /** Heading path of the section the chunk comes from ("" before the first heading). */
  readonly heading: string
  readonly tokens: number
}

interface Section {
  readonly heading: string
  readonly body: string
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/
const FENCE = /^\s*(```|~~~)/

/** Sections of a Markdown (or plain) text, split at headings outside code fences. */
const sections = (text: string): ReadonlyArray<Section> => {
  const out: Array<Section> = []
  const path: Array<string> = []
  let lines: Array<string> = []
  let inFence = false
  const flush = () => {
    const body = lines.join("\n").trim()
    if (body.length > 0) out.push({ heading: path.filter((h) => h !== undefined).join(" > "), body })
    lines = []
  }
  for (const line of text.split(/\r?\n/)) {
    if (FENCE.test(line)) inFence = !inFence
    const heading = inFence ? null : HEADING.exec(line)
    if (heading === null) {
      lines.push(line)
      continue
    }
    flush()
    const level = heading[1]!.length
    path.length = Math.min(path.length, level - 1)
    path[level - 1] = heading[2]!
  }
  flush()
  return out
}

interface Unit {
  readonly text: string
  readonly tokens: number
  /** What joins it to the unit before: a blank line (new paragraph), a newline (code, list) or a space. */
  readonly separator: string
}

const LIST_ITEM = /^\s*(?:[-*+]|\d+\.)\s/

/** Pieces no larger than `max` tokens: sentences (lines in code and lists), then word windows. */
const units = (body: string, max: number): ReadonlyArray<Unit> => {
  const out: Array<Unit> = []
  for (const paragraph of body.split(/\n\s*\n/)) {
    if (paragraph.trim().length === 0) continue
    const lines = paragraph.split("\n")
    const byLine = FENCE.test(paragraph) || lines.some((line) => LIST_ITEM.test(line) || /^( {4}|\t)/.test(line))
    const pieces = byLine ? lines : paragraph.trim().split(/(?<=[.!?])\s+/)
    const inner = byLine ? "\n" : " "
    let separator = "\n\n"
    for (const piece of pieces) {
      const tokens = Tokenizer.countTokens(piece)
      if (tokens <= max) {
        out.push({ text: piece, tokens, separator })
        separator = inner
        continue
      }
      // A piece longer than a chunk: windows of words sized by the measured tokens per word.
      const words = piece.split(/\s+/)
      const perWindow = Math.max(1, Math.floor((words.length * max) / tokens))
      for (let i = 0; i < words.length; i += perWindow) {
        const text = words.slice(i, i + perWindow).join(" ")
        out.push({ text, tokens: Tokenizer.countTokens(text), separator })
        separator = " "
      }
      separator = inner
    }
  }
  return out
}

const join = (parts: ReadonlyArray<Unit>): string => parts.map((u, i) => (i === 0 ? u.text : u.separator + u.text)).join("")

/** The chunks of `text`, in order. */
export const chunk = (text: string, options: Options = {}): ReadonlyArray<Chunk> => {
  const maxTokens = options.maxTokens ?? 256
  const overlapTokens = Math.min(options.overlapTokens ?? 32, Math.floor(maxTokens / 2))
  const out: Array<Chunk> = []
  for (const section of sections(text)) {
    const prefix = section.heading.length === 0 ? "" : `${section.heading}\n\n`
    // Most sections fit whole: one count, no splitting.
    const whole = Tokenizer.countTokens(prefix + section.body)
    if (whole <= maxTokens) {
      out.push({ index: out.length, text: prefix + section.body, heading: section.heading, tokens: whole })
      continue
    }
    const budget = Math.max(16, maxTokens - Tokenizer.countTokens(prefix))
    let current: Array<Unit> = []
    let size = 0
    let fresh = 0 // units in `current` that are not overlap from the previous chunk
    const emit = () => {
      if (fresh === 0) return
      const body = join(current)
      out.push({ index: out.length, text: prefix + body, heading: section.heading, tokens: Tokenizer.countTokens(prefix + body) })
    }
    for (const unit of units(section.body, budget)) {
      if (size + unit.tokens > budget && current.length > 0) {
        emit()
        const tail: Array<Unit> = []
        let tailSize = 0
        for (let i = current.length - 1; i >= 0 && tailSize + current[i]!.tokens <= overlapTokens && tailSize + current[i]!.tokens + unit.tokens <= budget; i--) {
          tail.unshift(current[i]!)
          tailSize += current[i]!.tokens
        }
        current = tail
        size = tailSize
        fresh = 0
      }
      current.push(unit)
      size += unit.tokens
      fresh++
    }
    emit()
  }
  return out
}
