/**
 * The offline default model: no network, no weights, deterministic. It is not a language model;
 * it answers with classical heuristics chosen by what the system prompt asks for:
 *
 * - classify / route: scores each label named in the prompt by keyword overlap with the input
 *   (a "simple"/"complex" label pair is decided by length and question structure) and answers
 *   `{"category","confidence"}` JSON;
 * - critique / score / review: scores a draft by coverage of the task's content words, length and
 *   structure, and answers `{"score","feedback"}` JSON naming what is missing;
 * - plan / assign to teams: gives each team named in the prompt the part of the task closest to it,
 *   as `{"assignments":[{"team","task"}]}`;
 * - anything else: extractive — the sentences most relevant to the question, in order, from the
 *   input and from a `Source:` / `Context:` section of the instructions; when the input has a
 *   `Context:` section of `[id] text` documents (a RAG prompt), only those are quoted, each run of
 *   sentences followed by its document's id. Whole sentences are preferred to fragments.
 *   A revision request (draft + critique) adds the sentences covering the terms the critique missed.
 * - a `transfer_to_<agent>` tool is called when the input names that agent's topic.
 * - structured output (`responseSchema`, an object): each top-level field is filled from the answer
 *   above — a field of its JSON of the same name (`score`, `category`, ...), else a string enum
 *   classified among its values by keyword overlap (with `- value: keywords` lines of the prompt),
 *   else a string field with the extractive answer (the request's first sentence when there is
 *   nothing else to quote). A field it cannot fill is left out, so the
 *   decode fails naming it (`MalformedOutput` from an `Agent.llm` with `output`).
 *
 * Usage is counted with a real tokenizer (o200k_base); the cost is $0.
 */
import { Effect, JSONSchema, Layer } from "effect"
import * as LanguageModel from "./LanguageModel.js"
import { contentWords, coverage, sentences, stem, stems } from "./internal/text.js"
import * as Tokenizer from "./Tokenizer.js"
import * as Usage from "./Usage.js"

export const MODEL = "local-heuristic-1"

export interface Options {
  /** Sentences kept in an extractive answer (default 3). */
  readonly maxSentences?: number
}

type Request = LanguageModel.GenerateRequest & { readonly model: string }

const systemOf = (r: Request) => r.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n")
const lastUser = (r: Request) => [...r.messages].reverse().find((m) => m.role === "user")?.content ?? ""
/** A `Source:` / `Context:` section of the instructions: material the agent was given to answer from. */
const instructedSource = (r: Request) => /(?:^|\n)\s*(?:source|context)\s*:\s*\n?([\s\S]*)$/i.exec(systemOf(r))?.[1] ?? ""
/** What an extractive answer may quote: the user and tool turns, and the instructions' source. */
const allUser = (r: Request) =>
  [...r.messages.filter((m) => m.role === "user" || m.role === "tool").map((m) => m.content), instructedSource(r)].join("\n")

/** Labels named in a prompt: `label: description` lines, or a `categories/labels/teams: a, b` list. */
const labelsIn = (prompt: string, listWord: RegExp): ReadonlyArray<{ label: string; words: ReadonlySet<string> }> => {
  const list = prompt.match(new RegExp(`(?:${listWord.source})\\s*[:=]\\s*([^\\n]+)`, "i"))
  const fromList = (list?.[1] ?? "")
    .split(/[,|]/)
    .map((s) => s.replace(/[`"'[\].]/g, "").trim())
    .filter((s) => /^[a-z][a-z0-9_-]*$/i.test(s))
  const described = [...prompt.matchAll(/^\s*[-*]\s*`?([a-z][a-z0-9_-]*)`?\s*[:—-]\s*(.+)$/gim)].map((m) => ({ label: m[1]!, text: m[2]! }))
  const labels = new Map<string, string>()
  for (const l of fromList) labels.set(l, l)
  for (const d of described) if (fromList.length === 0 || labels.has(d.label)) labels.set(d.label, `${d.label} ${d.text}`)
  return [...labels].map(([label, text]) => ({ label, words: stems(text.replace(/[_-]/g, " ")) }))
}

const complexity = (text: string): number => {
  const words = contentWords(text).length
  const questions = (text.match(/\?/g) ?? []).length
  const hard = /\b(analy[sz]e|compare|trade-?offs?|design|architecture|explain why|step by step|prove|evaluate|strategy|multi|plan)\b/i.test(text)
  return Math.min(1, words / 40 + (questions > 1 ? 0.3 : 0) + (hard ? 0.5 : 0))
}

const classify = (request: Request) => {
  const labels = labelsIn(systemOf(request), /categories|labels|classes|routes|options/)
  const input = lastUser(request)
  if (labels.length === 0) return JSON.stringify({ category: "unknown", confidence: 0 })
  const names = labels.map((l) => l.label.toLowerCase())
  if (names.includes("simple") && names.includes("complex")) {
    const c = complexity(input)
    return JSON.stringify({ category: c >= 0.5 ? "complex" : "simple", confidence: Number((0.5 + Math.abs(c - 0.5)).toFixed(2)) })
  }
  const have = stems(input)
  const scored = labels.map((l) => ({ label: l.label, score: [...l.words].filter((w) => have.has(w)).length }))
  const best = scored.reduce((a, b) => (b.score > a.score ? b : a))
  const total = scored.reduce((s, x) => s + x.score, 0)
  const confidence = best.score === 0 ? 0.2 : best.score / total
  return JSON.stringify({ category: best.score === 0 ? labels[labels.length - 1]!.label : best.label, confidence: Number(confidence.toFixed(2)) })
}

/** The task and draft a critic is shown: "Task: … Draft: …" sections, else the whole input. */
const taskAndDraft = (input: string) => {
  const task = input.match(/task\s*:\s*([\s\S]*?)(?:\n\s*(?:draft|answer|response|output)\s*:|$)/i)?.[1]?.trim()
  const draft = input.match(/(?:draft|answer|response|output)\s*:\s*([\s\S]*)$/i)?.[1]?.trim()
  return { task: task ?? input, draft: draft ?? input }
}

const critique = (request: Request) => {
  const { task, draft } = taskAndDraft(lastUser(request))
  const wanted = stems(task)
  const have = stems(draft)
  const missing = [...wanted].filter((w) => !have.has(w))
  const cover = coverage(wanted, draft)
  const words = contentWords(draft).length
  const lengthScore = Math.min(1, words / Math.max(8, wanted.size * 2))
  const structured = /```|\n[-*] |\n\d+\. /.test(draft) ? 1 : 0.8
  const score = Number((0.6 * cover + 0.3 * lengthScore + 0.1 * structured).toFixed(2))
  const feedback =
    missing.length === 0
      ? "Covers every point of the task."
      : `Missing: ${missing.slice(0, 8).join(", ")}.${lengthScore < 1 ? " Too short; add detail." : ""}`
  return JSON.stringify({ score, feedback })
}

const plan = (request: Request) => {
  const teams = labelsIn(systemOf(request), /teams|workers|members/)
  const task = lastUser(request)
  const parts = sentences(task)
  const assignments = teams.map((team) => {
    const relevant = parts.filter((s) => [...team.words].some((w) => stems(s).has(w)))
    return { team: team.label, task: relevant.length > 0 ? relevant.join(" ") : task }
  })
  return JSON.stringify({ assignments })
}

const NO_ANSWER = "I have no information to answer that."

/**
 * The documents of a RAG prompt's `Context:` section (`[id] text` lines, as the RAG pattern writes
 * them), or undefined when the user message has none.
 */
const contextDocuments = (input: string): ReadonlyArray<{ readonly source: string; readonly text: string }> | undefined => {
  const section = /(?:^|\n)\s*context\s*:\s*\n([\s\S]*)$/i.exec(input)?.[1]
  if (section === undefined) return undefined
  const documents: Array<{ source: string; text: string }> = []
  for (const line of section.split("\n")) {
    const opening = /^\[([^\]\n]+)\]\s*(.*)$/.exec(line)
    if (opening !== null) documents.push({ source: opening[1]!, text: opening[2]! })
    else if (documents.length > 0) documents[documents.length - 1]!.text += `\n${line}`
  }
  return documents
}

/** A Markdown table row flattened into a line is not a sentence worth quoting. */
const isTableRow = (sentence: string) => (sentence.match(/\|/g) ?? []).length > 2

const extract = (request: Request, maxSentences: number) => {
  const input = lastUser(request)
  const question = input.split(/\n/)[0] ?? input
  const corpus = allUser(request)
  const documents = contextDocuments(input)
  // With a `Context:` section, only its documents (cited by id), the tool turns and the instructions'
  // source are quoted: not the prompt's own lines around them.
  const pieces: ReadonlyArray<{ readonly source?: string; readonly text: string }> = documents === undefined
    ? [{ text: corpus }]
    : [...documents, { text: [...request.messages.filter((m) => m.role === "tool").map((m) => m.content), instructedSource(request)].join("\n") }]
  const q = stems(question)
  const feedback = /missing\s*:\s*([^\n.]+)/i.exec(corpus)?.[1]
  const wanted = feedback === undefined ? q : new Set([...q, ...feedback.split(/[,\s]+/).filter(Boolean).map(stem)])
  // The question's own sentences are not an answer to it, nor, in a revision request, the task's.
  const task = /(?:^|\n)\s*task\s*:\s*\n?([\s\S]*?)(?:\n\s*\n|$)/i.exec(input)?.[1] ?? ""
  const asked = new Set([...sentences(question), ...sentences(task)])
  const corpusLines = new Set(pieces.flatMap((piece) => piece.text.split("\n").map((line) => line.trim())))
  const seen = new Set<string>()
  const candidates = pieces.flatMap((piece) =>
    sentences(piece.text)
      .filter((s) => !asked.has(s) && !isTableRow(s) && !seen.has(s) && seen.add(s))
      .map((s) => ({ s, source: piece.source }))
  )
  // A line of code or a bullet stays a line; prose sentences run on.
  const join = (quoted: ReadonlyArray<{ readonly s: string }>) =>
    quoted.map((x) => x.s).join(quoted.length > 1 && quoted.every((x) => corpusLines.has(x.s) && !/[.!?]$/.test(x.s)) ? "\n" : " ")
  const previous = /(?:^|\n)\s*previous draft\s*:\s*\n?([\s\S]*)$/i.exec(input)?.[1]?.trim()
  if (feedback !== undefined && previous !== undefined) {
    // A revision: the previous draft, plus the (at most two) sentences covering most of what the critique missed.
    const missing = new Set(feedback.split(/[,\s]+/).filter(Boolean).map(stem))
    const inDraft = new Set(sentences(previous))
    const additions = candidates
      .map((c, i) => ({ ...c, i, score: [...stems(c.s)].filter((w) => missing.has(w)).length }))
      .filter((c) => c.score > 0 && !inDraft.has(c.s))
      .sort((x, y) => y.score - x.score || x.i - y.i)
      .slice(0, 2)
      .sort((x, y) => x.i - y.i)
    const added = join(additions)
    return additions.length === 0 ? previous : `${previous}${previous.includes("\n") || added.includes("\n") ? "\n" : " "}${added}`
  }
  const scored = candidates.map((c, i) => ({
    ...c,
    i,
    whole: /[.!?:][\])"'`*]*$/.test(c.s),
    score: [...stems(c.s)].filter((w) => wanted.has(w)).length
  }))
  const keep = feedback === undefined ? maxSentences : maxSentences + 2
  // Whole sentences when any shares a word; fragments (a heading, a chunk cut mid-sentence) only otherwise.
  const relevant = scored.filter((x) => x.score > 0)
  const wholeOnes = relevant.filter((x) => x.whole)
  const chosen = (wholeOnes.length > 0 ? wholeOnes : relevant)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, keep)
    .sort((a, b) => a.i - b.i)
  const quoted = chosen.length > 0 ? chosen : scored.slice(0, maxSentences)
  // A run of sentences from one document ends with its id, as a RAG generator is asked to cite.
  return join(quoted.map((x, k) => ({ s: x.source !== undefined && quoted[k + 1]?.source !== x.source ? `${x.s} [${x.source}]` : x.s }))) || NO_ANSWER
}

const handoff = (request: Request): LanguageModel.ToolCall | undefined => {
  const input = stems(lastUser(request))
  const own = stems(systemOf(request))
  for (const tool of request.tools ?? []) {
    if (!tool.name.startsWith("transfer_to_")) continue
    const topic = tool.name.slice("transfer_to_".length).split("_").map(stem)
    if (topic.some((w) => input.has(w) && !own.has(w))) {
      return { id: `call_${tool.name}`, name: tool.name, arguments: JSON.stringify({ reason: `the request is about ${topic.join(" ")}` }) }
    }
  }
  return undefined
}

/** The answer's text, as the heuristics above decide it (without structured output). */
const textAnswer = (request: Request, options: Options): string => {
  const system = systemOf(request).toLowerCase()
  if (/\b(classify|classifier|categori[sz]e|route)\b/.test(system)) return classify(request)
  if (/\b(critic|critique|score|grade|review)\b/.test(system)) return critique(request)
  if (/\b(plan|decompose|assign)\b/.test(system) && /\b(team|worker|member)s?\b/.test(system)) return plan(request)
  return extract(request, options.maxSentences ?? 3)
}

type JsonSchemaNode = { readonly $ref?: string; readonly type?: unknown; readonly enum?: ReadonlyArray<unknown>; readonly properties?: Record<string, JsonSchemaNode> }

/** The enum value whose words (and `- value: keywords` lines of the prompt) the input shares most; none on no overlap. */
const pickValue = (request: Request, values: ReadonlyArray<string>): string | undefined => {
  const described = new Map(labelsIn(systemOf(request), /categories|labels|classes|routes|options/).map((l) => [l.label, l.words]))
  const have = stems(lastUser(request))
  const scored = values.map((value) => {
    const words = new Set([...stems(value.replace(/[_-]/g, " ")), ...(described.get(value) ?? [])])
    return { value, score: [...words].filter((w) => have.has(w)).length }
  })
  const best = scored.reduce((a, b) => (b.score > a.score ? b : a))
  return best.score === 0 ? undefined : best.value
}

/** Structured output: the fields of the schema's object filled from the heuristic answer (see the module's doc). */
const structured = (request: Request, options: Options, schema: NonNullable<LanguageModel.GenerateRequest["responseSchema"]>): string => {
  const root = JSONSchema.make(schema) as JsonSchemaNode & { readonly $defs?: Record<string, JsonSchemaNode> }
  const resolve = (node: JsonSchemaNode): JsonSchemaNode =>
    node.$ref?.startsWith("#/$defs/") === true ? root.$defs?.[node.$ref.slice("#/$defs/".length)] ?? node : node
  const text = textAnswer(request, options)
  const properties = resolve(root).properties
  // A string field restates the request when there is nothing else to quote (e.g. a ticket's summary).
  const prose = (answer: string) => (answer === NO_ANSWER ? sentences(lastUser(request))[0] ?? lastUser(request) : answer)
  if (properties === undefined) return text
  let own: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) own = parsed as Record<string, unknown>
  } catch {
    // Not JSON: an extractive answer.
  }
  const out: Record<string, unknown> = {}
  for (const [key, property] of Object.entries(properties).map(([k, p]) => [k, resolve(p)] as const)) {
    const values = property.enum?.filter((v): v is string => typeof v === "string")
    if (key in own) out[key] = own[key]
    else if (values !== undefined && values.length > 0) {
      const value = pickValue(request, values)
      if (value !== undefined) out[key] = value
    } else if (property.type === "string") out[key] = prose(Object.keys(own).length === 0 ? text : extract(request, options.maxSentences ?? 3))
  }
  return JSON.stringify(out)
}

/** The answer for a request, as the heuristics above decide it. */
export const answer = (request: Request, options: Options = {}): { text: string; toolCalls: ReadonlyArray<LanguageModel.ToolCall> } => {
  const transfer = handoff(request)
  if (transfer !== undefined) return { text: "", toolCalls: [transfer] }
  if (request.responseSchema !== undefined) return { text: structured(request, options, request.responseSchema), toolCalls: [] }
  return { text: textAnswer(request, options), toolCalls: [] }
}

export const make = (options: Options = {}): LanguageModel.Service =>
  LanguageModel.make({
    provider: "local",
    defaultModel: MODEL,
    generate: (request) =>
      Effect.sync(() => {
        const { text, toolCalls } = answer(request, options)
        return {
          text,
          toolCalls,
          finishReason: toolCalls.length > 0 ? "tool_calls" : "stop",
          provider: "local",
          model: request.model,
          usage: Usage.make({ inputTokens: Tokenizer.countMessageTokens(request.messages), outputTokens: Tokenizer.countTokens(text) })
        }
      })
  })

export const layer = (options: Options = {}): Layer.Layer<LanguageModel.LanguageModel> =>
  Layer.sync(LanguageModel.LanguageModel, () => {
    Tokenizer.preload()
    return make(options)
  })
