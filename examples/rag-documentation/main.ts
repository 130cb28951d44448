/**
 * RAG over this repository's own documentation, offline: README.md and docs/**\/*.md are chunked,
 * embedded with the HashingEmbedder (TF-IDF feature hashing, no download) and stored in embedded
 * LanceDB; a RAG pattern (hybrid-search Retriever agent + an LLM generator) answers questions and
 * cites the chunks it used. Run it twice: the second run finds every file unchanged.
 *
 *   npx tsx --conditions=@aixfx/source examples/rag-documentation/main.ts
 */
import { Agent, AgentRuntime, Message } from "@aixfx/core"
import { Rag } from "@aixfx/patterns"
import { Chunker, HashingEmbedder, Ingest, LanceDbStore, Loader, Retriever } from "@aixfx/rag-lancedb"
import { Console, Effect, Layer } from "effect"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { isMain, runMain } from "../shared/run.js"

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

export const QUESTIONS: ReadonlyArray<string> = [
  "What does the RAG pattern tell the generator when the retriever finds nothing?",
  "Which span attribute carries the cost of a model call, in USD?",
  "How does the Reflection pattern decide that a draft is good enough?",
  "What is LocalHeuristicModel and what does it cost?"
]

const CHUNKING = { maxTokens: 200, overlapTokens: 24 } as const

export interface Options {
  /** Where LanceDB keeps the table (default `.aixfx/rag-documentation` in the repository). */
  readonly dbDir?: string
  readonly questions?: ReadonlyArray<string>
}

export interface Answer {
  readonly question: string
  readonly answer: string
  /** Chunk ids the answer was built from (`<file>#<chunk>`). */
  readonly sources: ReadonlyArray<string>
  readonly contextTokens: number
}

/** README.md and every Markdown file under docs/, as paths. */
const documentationFiles = (): ReadonlyArray<string> => [
  join(repoRoot, "README.md"),
  ...readdirSync(join(repoRoot, "docs"), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".md"))
    .sort()
    .map((path) => join(repoRoot, "docs", path))
]

/** A one-line progress bar, redrawn in place on a terminal. */
const progressBar = (event: Ingest.Progress) =>
  Effect.sync(() => {
    if (event._tag !== "Document" || !process.stdout.isTTY) return
    const width = 24
    const filled = Math.round((event.done / event.total) * width)
    const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${event.done}/${event.total} ${event.status.padEnd(9)} ${event.source}`
    process.stdout.write(`\r${line.slice(0, process.stdout.columns - 1).padEnd(process.stdout.columns - 1)}${event.done === event.total ? "\n" : ""}`)
  })

export const ragDocumentation = (options: Options = {}) =>
  Effect.gen(function* () {
    const loaded = yield* Loader.fromFiles(documentationFiles(), { root: repoRoot })
    // IDF from the chunks being indexed; a change to the docs refits it, and ingestion then rewrites every chunk.
    const idf = HashingEmbedder.fit(loaded.documents.flatMap((d) => Chunker.chunk(d.text, CHUNKING).map((c) => c.text)))
    const storeLayer = LanceDbStore.layer({ uri: options.dbDir ?? join(repoRoot, ".aixfx", "rag-documentation"), table: "docs" }).pipe(
      Layer.provide(HashingEmbedder.layer({ idf }))
    )
    return yield* Effect.gen(function* () {
      const store = yield* LanceDbStore.LanceDbStore
      yield* Console.log(`Indexing ${loaded.documents.length} files into LanceDB at ${store.uri} (embedder ${store.embedder.name})`)
      // removeMissing: a file deleted from docs/ leaves the index too.
      const summary = yield* Ingest.run(loaded, { ...CHUNKING, removeMissing: true, onProgress: progressBar })
      yield* Console.log(
        `${summary.added} added, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.skipped.length} skipped, ` +
          `${summary.removedSources.length} removed; ` +
          `${summary.chunksWritten} chunks written, ${yield* store.count} in the table (${summary.durationMs} ms)\n`
      )

      yield* AgentRuntime.register(Retriever.agent({ name: "docs-retriever", store, mode: "hybrid" }))
      yield* AgentRuntime.register(
        Agent.llm({
          name: "docs-writer",
          instructions: "Answer the question from the context only, in two or three sentences, and cite the ids of the documents you use."
        })
      )
      yield* AgentRuntime.register(Rag.make({ name: "docs-rag", retriever: "docs-retriever", generator: "docs-writer", topK: 4, maxContextTokens: 900 }))

      const answers: Array<Answer> = []
      for (const question of options.questions ?? QUESTIONS) {
        const reply = yield* AgentRuntime.call("docs-rag", Message.make(question))
        const sources = (reply.metadata["sources"] as ReadonlyArray<string> | undefined) ?? []
        const { contextTokens } = yield* Rag.outcome(reply)
        answers.push({ question, answer: reply.payload, sources, contextTokens })
        yield* Console.log(`Q: ${question}\nA: ${reply.payload}\n   sources: ${sources.join(", ") || "(none)"}\n`)
      }
      return answers
    }).pipe(Effect.provide(storeLayer), Effect.scoped)
  })

if (isMain(import.meta.url)) runMain("rag-documentation", ragDocumentation())
