/**
 * RAG: retrieve documents for the request, (optionally) rerank them, fit them into a context of
 * at most `maxContextTokens`, and have the generator answer from that context. The answer cites the
 * ids of the documents it was given.
 *
 * The retriever contract (any agent can be a retriever; `@aixfx/rag-lancedb` builds one on LanceDB):
 * it is called with a Message whose payload is the query and whose metadata has `topK` (number) and,
 * optionally, `filter` (a JSON object); it replies with a "json" Message whose payload is
 * `{ "documents": [{ "id", "text", "score", "metadata" }] }` (`RetrievalResult`). A reranker is
 * called the same way, with the retrieved documents in `metadata.documents`, and replies the same.
 */
import * as Agent from "@aixfx/core/Agent"
import type * as AgentRuntime from "@aixfx/core/AgentRuntime"
import * as Json from "@aixfx/core/Json"
import * as Message from "@aixfx/core/Message"
import * as Tokenizer from "@aixfx/core/Tokenizer"
import { type AgentError, RetrievalFailed } from "@aixfx/core/AgentError"
import { Effect, Option, ParseResult, Schema } from "effect"
import * as bm25 from "./internal/bm25.js"
import { stepRequest } from "./internal/step.js"
import * as Pattern from "./Pattern.js"

// ---- the retriever contract -----------------------------------------------------------------

export const RetrievedDocument = Schema.Struct({
  id: Schema.String,
  text: Schema.String,
  /** Relevance as the retriever measures it; higher is better. */
  score: Schema.Number,
  metadata: Json.JsonObject
})
export type RetrievedDocument = typeof RetrievedDocument.Type

export const RetrievalResult = Schema.Struct({ documents: Schema.Array(RetrievedDocument) })
export type RetrievalResult = typeof RetrievalResult.Type

/** What a retriever is asked: the query (payload), how many documents, and an optional filter. */
export const RetrievalRequest = Schema.Struct({
  query: Schema.String,
  topK: Schema.Int.pipe(Schema.positive()),
  filter: Schema.optional(Json.JsonObject)
})
export type RetrievalRequest = typeof RetrievalRequest.Type

/** `topK` a retriever uses when a caller leaves it out (the pattern always sends it). */
export const DEFAULT_TOP_K = 5

const decodeRequestFields = Schema.decodeUnknown(RetrievalRequest)

/**
 * Reads a retrieval request from the message a retriever was called with. A missing `topK` means
 * `DEFAULT_TOP_K`; an invalid `topK` or `filter` fails with `RetrievalFailed` naming the retriever.
 */
export const decodeRequest = (retriever: string) => (message: Message.Message): Effect.Effect<RetrievalRequest, RetrievalFailed> =>
  decodeRequestFields({
    query: message.payload,
    topK: message.metadata["topK"] ?? DEFAULT_TOP_K,
    ...(message.metadata["filter"] === undefined ? {} : { filter: message.metadata["filter"] })
  }).pipe(
    Effect.mapError((error) => retrievalFailed(retriever, `invalid request: ${ParseResult.TreeFormatter.formatErrorSync(error)}`))
  )

/** The message a retriever (or reranker) replies with: `documents` as a `RetrievalResult`. */
export const retrievalReply = (request: Message.Message, documents: ReadonlyArray<RetrievedDocument>): Message.Message =>
  Message.reply(request, { type: "json", payload: JSON.stringify({ documents } satisfies RetrievalResult) })

const retrievalFailed = (retriever: string, reason: string) =>
  new RetrievalFailed({ retriever, reason, message: `Retriever "${retriever}" failed: ${reason}` })

const decodeResult = Message.decodePayload(RetrievalResult)

// ---- a small in-memory retriever ------------------------------------------------------------

export interface InMemoryDocument {
  readonly id: string
  readonly text: string
  readonly metadata?: Json.JsonObject
}

const matchesFilter = (metadata: Json.JsonObject, filter: Json.JsonObject | undefined) =>
  filter === undefined || Object.entries(filter).every(([key, value]) => JSON.stringify(metadata[key]) === JSON.stringify(value))

/**
 * A retriever agent over documents held in memory, scored with BM25 keyword matching; documents
 * that share no term with the query are not returned. `filter` keeps documents whose metadata has
 * every key of the filter with the same value. For tests, examples and small corpora.
 */
export const inMemoryRetriever = (options: { readonly name: string; readonly documents: ReadonlyArray<InMemoryDocument> }): Agent.Agent =>
  Agent.make({
    name: options.name,
    role: "retriever",
    description: `keyword (BM25) retrieval over ${options.documents.length} documents held in memory`,
    execute: (input) =>
      Effect.map(decodeRequest(options.name)(input), (request) => {
        const candidates = options.documents.filter((d) => matchesFilter(d.metadata ?? {}, request.filter))
        const scores = bm25.scores(request.query, candidates.map((d) => d.text))
        const documents = candidates
          .map((d, i) => ({ id: d.id, text: d.text, score: Number(scores[i]!.toFixed(4)), metadata: d.metadata ?? {} }))
          .filter((d) => d.score > 0)
          .sort((a, b) => b.score - a.score)
          .slice(0, request.topK)
        return retrievalReply(input, documents)
      })
  })

// ---- the pattern ----------------------------------------------------------------------------

export interface Options extends Pattern.CommonOptions {
  /** Called with the query; replies with a `RetrievalResult` (see the module comment). */
  readonly retriever: Pattern.AgentRef
  /** Answers the query from the context the pattern builds. */
  readonly generator: Pattern.AgentRef
  /** Documents asked of the retriever and kept after reranking (default 5). */
  readonly topK?: number
  /** Reorders (and may rescore or drop) the retrieved documents; replies like a retriever. */
  readonly reranker?: Pattern.AgentRef
  /** Bound on the context given to the generator, in tokens (default: no bound). */
  readonly maxContextTokens?: number
  /** Metadata filter sent to the retriever; the input's `metadata.filter` overrides it. */
  readonly filter?: Json.JsonObject
}

/** A document as placed in the context: cut short when only part of it fitted. */
export interface ContextDocument extends RetrievedDocument {
  readonly truncated: boolean
}

/** What the generator is told when the retriever found nothing (documented, and tested). */
export const NO_CONTEXT =
  "Context: none. The retriever found no documents for this question. Say that you have no information to answer it; do not guess."

const formatDocument = (d: { readonly id: string; readonly text: string }) => `[${d.id}] ${d.text}`

/** The longest word prefix of `text` whose formatted block fits `budget` tokens (with an ellipsis). */
const truncateToTokens = (id: string, text: string, budget: number): string | undefined => {
  const words = text.split(/\s+/)
  const fits = (n: number) => Tokenizer.countTokens(formatDocument({ id, text: `${words.slice(0, n).join(" ")} …` })) <= budget
  let low = 0
  let high = words.length
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (fits(mid)) low = mid
    else high = mid - 1
  }
  return low === 0 ? undefined : `${words.slice(0, low).join(" ")} …`
}

/**
 * The documents that fit `maxTokens`, in rank order: whole documents while they fit, then the next
 * one cut to the tokens left; what follows is dropped.
 */
export const fitContext = (documents: ReadonlyArray<RetrievedDocument>, maxTokens: number | undefined): ReadonlyArray<ContextDocument> => {
  const kept: Array<ContextDocument> = []
  let left = maxTokens ?? Infinity
  for (const document of documents) {
    const tokens = Tokenizer.countTokens(formatDocument(document)) + 1
    if (tokens <= left) {
      kept.push({ ...document, truncated: false })
      left -= tokens
      continue
    }
    const text = truncateToTokens(document.id, document.text, left - 1)
    if (text !== undefined) kept.push({ ...document, text, truncated: true })
    break
  }
  return kept
}

/** The generator's request: the query on the first line, then the numbered context (or `NO_CONTEXT`). */
export const generatorPrompt = (query: string, context: ReadonlyArray<ContextDocument>): string =>
  context.length === 0
    ? `${query}\n\n${NO_CONTEXT}`
    : `${query}\n\nAnswer from the context below and cite the ids of the documents you use, e.g. [${context[0]!.id}].\n` +
      `Context:\n${context.map(formatDocument).join("\n")}`

const byScore = (documents: ReadonlyArray<RetrievedDocument>) => [...documents].sort((a, b) => b.score - a.score)

const asJsonObject = (value: Json.JsonValue | undefined): Json.JsonObject | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json.JsonObject) : undefined

/** The RAG pattern as an agent. */
export const make = (options: Options): Agent.Agent<AgentRuntime.AgentRuntime> => {
  const topK = options.topK ?? DEFAULT_TOP_K
  /** A retriever's documents are ordered by score; a reranker's order is the ranking it was asked for. */
  const retrieve = (step: "retrieve" | "rerank", agent: Pattern.AgentRef, request: Message.Message) =>
    Pattern.callStep(options, step, agent, request).pipe(
      Effect.flatMap((reply) =>
        decodeResult(reply).pipe(Effect.mapError((error) => retrievalFailed(Pattern.nameOf(agent), `unreadable reply: ${error.issue} at ${error.path}`)))
      ),
      Effect.map((result) => (step === "retrieve" ? byScore(result.documents) : result.documents).slice(0, topK))
    )

  return Pattern.make("rag", options, (input): Effect.Effect<Message.Message, AgentError, AgentRuntime.AgentRuntime> =>
    Effect.gen(function* () {
      const filter = asJsonObject(input.metadata["filter"]) ?? options.filter
      const query = { topK, ...(filter === undefined ? {} : { filter }) }
      const retrieved = yield* retrieve("retrieve", options.retriever, stepRequest(input, input.payload, query))
      const ranked = yield* Option.match(Option.fromNullable(options.reranker), {
        onNone: () => Effect.succeed(retrieved),
        onSome: (reranker) =>
          retrieved.length === 0
            ? Effect.succeed(retrieved)
            : retrieve("rerank", reranker, stepRequest(input, input.payload, { ...query, documents: Json.toJson(retrieved) }))
      })
      const context = fitContext(ranked, options.maxContextTokens)
      const sources = context.map((d) => d.id)
      const prompt = generatorPrompt(input.payload, context)
      const contextTokens = Tokenizer.countTokens(context.map(formatDocument).join("\n"))
      yield* Effect.annotateCurrentSpan({
        "aixfx.rag.top_k": topK,
        "aixfx.rag.retrieved": retrieved.length,
        "aixfx.rag.documents": JSON.stringify(sources),
        "aixfx.rag.context_tokens": contextTokens
      })
      const answer = yield* Pattern.callStep(options, "generate", options.generator, stepRequest(input, prompt, { sources }))
      const out = Pattern.reply(
        input,
        answer.payload,
        {
          kind: "rag",
          name: options.name,
          topK,
          retrieved: retrieved.map((d) => ({ id: d.id, score: d.score })),
          reranked: options.reranker !== undefined && retrieved.length > 0,
          context: context.map((d) => ({ id: d.id, score: d.score, truncated: d.truncated })),
          contextTokens
        },
        answer.type
      )
      return Message.withMetadata(out, { sources })
    })
  )
}

/** What a RAG's reply records in `metadata.trace`: the documents retrieved, those put in the prompt, its size. */
export const Trace = Schema.Struct({
  kind: Schema.Literal("rag"),
  name: Schema.String,
  topK: Schema.Number,
  retrieved: Schema.Array(Schema.Struct({ id: Schema.String, score: Schema.Number })),
  reranked: Schema.Boolean,
  context: Schema.Array(Schema.Struct({ id: Schema.String, score: Schema.Number, truncated: Schema.Boolean })),
  contextTokens: Schema.Number
})
export type Trace = typeof Trace.Type

/** The typed outcome of a RAG's reply (`Rag.outcome(reply)`), decoded, no casts. */
export const outcome = Pattern.outcomeOf(Trace)
