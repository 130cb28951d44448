/**
 * The retriever agent the RAG pattern calls: the input payload is the query, `metadata.topK` how many
 * documents to return and `metadata.filter` an optional filter (see `LanceDbStore.Filter`). It replies
 * with JSON `{ "documents": [{ id, text, score, metadata }] }`, best first (the pattern's
 * `Rag.RetrievalResult`); every failure is core's
 * `RetrievalFailed` naming the retriever.
 */
import * as Agent from "@aixfx/core/Agent"
import * as Json from "@aixfx/core/Json"
import * as Message from "@aixfx/core/Message"
import { RetrievalFailed } from "@aixfx/core/AgentError"
import { Effect, Schema } from "effect"
import type * as LanceDbStore from "./LanceDbStore.js"

/**
 * A document in the reply; `metadata` holds `source`, `chunkIndex`, `heading` and the document's own
 * metadata. The contract's Schemas live with the pattern: decode a reply with
 * `Message.decodePayload(Rag.RetrievalResult)` from `@aixfx/patterns`.
 */
export interface RetrievedDocument {
  readonly id: string
  readonly text: string
  readonly score: number
  readonly metadata: Json.JsonObject
}

export interface Options {
  readonly name: string
  readonly store: LanceDbStore.Service
  /** Default "hybrid". */
  readonly mode?: LanceDbStore.SearchMode
  /** Used when the request carries no `metadata.topK` (default 5). */
  readonly topK?: number
  readonly description?: string
}

const FilterScalar = Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.Null)
const Request = Schema.Struct({
  topK: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.positive())),
  filter: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Union(FilterScalar, Schema.Array(FilterScalar)) }))
})
const decodeRequest = Schema.decodeUnknownEither(Request)

export const agent = (options: Options): Agent.Agent => {
  const mode = options.mode ?? "hybrid"
  const failed = (reason: string) => new RetrievalFailed({ retriever: options.name, reason, message: `Retriever "${options.name}" failed: ${reason}` })
  return Agent.make({
    name: options.name,
    role: "retriever",
    description: options.description ?? `Finds the ${mode} search matches for a query in LanceDB table "${options.store.table}"`,
    execute: (input) =>
      Effect.gen(function* () {
        const request = decodeRequest({ topK: input.metadata["topK"], filter: input.metadata["filter"] })
        if (request._tag === "Left") return yield* Effect.fail(failed(`invalid request metadata: ${request.left.message}`))
        const topK = request.right.topK ?? options.topK ?? 5
        const results = yield* options.store
          .search(input.payload, { mode, topK, ...(request.right.filter === undefined ? {} : { filter: request.right.filter }) })
          .pipe(Effect.mapError((error) => failed(error.message)))
        const documents: Array<RetrievedDocument> = results.map((r) => ({
          id: r.id,
          text: r.text,
          score: r.score,
          metadata: { ...r.metadata, source: r.source, chunkIndex: r.chunkIndex, heading: r.heading }
        }))
        yield* Effect.annotateCurrentSpan({ "aixfx.rag.mode": mode, "aixfx.rag.top_k": topK, "aixfx.rag.documents": documents.length })
        return Message.reply(input, {
          type: "json",
          payload: JSON.stringify({ documents }),
          metadata: { retriever: options.name, mode, topK }
        })
      })
  })
}
