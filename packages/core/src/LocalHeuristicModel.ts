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
 *   input and from a `Source:` / `Context:` section of the instructions.
 *   A revision request (draft + critique) adds the sentences covering the terms the critique missed.
 * - a `transfer_to_<agent>` tool is called when the input names that agent's topic.
 *
 * Usage is counted with a real tokenizer (o200k_base); the cost is $0.
 */
import { Effect, Layer } from "effect"
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

const extract = (request: Request, maxSentences: number) => {
  const input = lastUser(request)
  const question = input.split(/\n/)[0] ?? input
  const corpus = allUser(request)
  const q = stems(question)
  const feedback = /missing\s*:\s*([^\n.]+)/i.exec(corpus)?.[1]
  const wanted = feedback === undefined ? q : new Set([...q, ...feedback.split(/[,\s]+/).filter(Boolean).map(stem)])
  // The question's own sentences are not an answer to it.
  const asked = new Set(sentences(question))
  const candidates = [...new Set(sentences(corpus))].filter((s) => !asked.has(s))
  const scored = candidates.map((s, i) => ({ s, i, score: [...stems(s)].filter((w) => wanted.has(w)).length }))
  const keep = feedback === undefined ? maxSentences : maxSentences + 2
  const chosen = scored
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, keep)
    .sort((a, b) => a.i - b.i)
  return chosen.length > 0 ? chosen.map((x) => x.s).join(" ") : (candidates.slice(0, maxSentences).join(" ") || "I have no information to answer that.")
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

/** The answer for a request, as the heuristics above decide it. */
export const answer = (request: Request, options: Options = {}): { text: string; toolCalls: ReadonlyArray<LanguageModel.ToolCall> } => {
  const system = systemOf(request).toLowerCase()
  const transfer = handoff(request)
  if (transfer !== undefined) return { text: "", toolCalls: [transfer] }
  if (/\b(classify|classifier|categori[sz]e|route)\b/.test(system)) return { text: classify(request), toolCalls: [] }
  if (/\b(critic|critique|score|grade|review)\b/.test(system)) return { text: critique(request), toolCalls: [] }
  if (/\b(plan|decompose|assign)\b/.test(system) && /\b(team|worker|member)s?\b/.test(system)) return { text: plan(request), toolCalls: [] }
  return { text: extract(request, options.maxSentences ?? 3), toolCalls: [] }
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
