/**
 * Ingestion: documents → chunks → vectors → the store, with progress. A document whose content hash
 * is already stored is left alone; a changed one has its old chunks replaced; empty or binary inputs
 * are skipped with a warning naming them. Chunks are embedded and written in batches, and indexes
 * are created or rebuilt at the end as the table's size calls for.
 */
import { Effect, Mailbox, Stream } from "effect"
import { createHash } from "node:crypto"
import * as Chunker from "./Chunker.js"
import { embedAll } from "./Embedder.js"
import { type IndexReport, LanceDbStore, type Row } from "./LanceDbStore.js"
import type { Document, Loaded, Skipped } from "./Loader.js"
import type { DimensionMismatch, EmbeddingFailed, StoreFailed, TableNotFound } from "./RagError.js"

export interface Options extends Chunker.Options {
  /** Chunks embedded and written together (default 512). */
  readonly batchSize?: number
  /** Delete the chunks of sources in the table that are not among the input (default false): mirror a folder. */
  readonly removeMissing?: boolean
  /** Create / rebuild indexes when done (default true). */
  readonly maintainIndexes?: boolean
  /** Called after each document is settled, and once at the end. */
  readonly onProgress?: (event: Progress) => Effect.Effect<void>
}

export type DocumentStatus = "added" | "updated" | "unchanged" | "skipped"

export type Progress =
  | {
      readonly _tag: "Document"
      readonly source: string
      readonly status: DocumentStatus
      readonly chunks: number
      /** Why a skipped document was skipped. */
      readonly reason?: string
      /** Documents settled so far, and in all. */
      readonly done: number
      readonly total: number
    }
  | { readonly _tag: "Done"; readonly summary: Summary }

export interface Summary {
  readonly documents: number
  readonly added: number
  readonly updated: number
  readonly unchanged: number
  readonly skipped: ReadonlyArray<Skipped>
  /** Sources deleted because they were no longer in the input (`removeMissing`). */
  readonly removedSources: ReadonlyArray<string>
  /** Chunks written, and old chunks removed by updates. */
  readonly chunksWritten: number
  readonly chunksRemoved: number
  readonly indexes: IndexReport | undefined
  readonly durationMs: number
}

export type IngestError = StoreFailed | TableNotFound | DimensionMismatch | EmbeddingFailed

interface Pending {
  readonly document: Document
  readonly hash: string
  readonly chunks: ReadonlyArray<Chunker.Chunk>
  readonly existed: boolean
}

const SQL_IN_BATCH = 500

/** Ingests documents (or the result of a `Loader`) into the store in the context. */
export const run = (input: Loaded | ReadonlyArray<Document>, options: Options = {}): Effect.Effect<Summary, IngestError, LanceDbStore> =>
  Effect.gen(function* () {
    const started = Date.now()
    const store = yield* LanceDbStore
    const report = options.onProgress ?? (() => Effect.void)
    const loaded: Loaded = Array.isArray(input) ? { documents: input, skipped: [] } : (input as Loaded)
    const batchSize = options.batchSize ?? 512
    // The last document of a source wins, as if they had been ingested one after another.
    const bySource = new Map(loaded.documents.map((d) => [d.source, d]))
    const skipped: Array<Skipped> = [...loaded.skipped]
    for (const document of bySource.values()) {
      if (document.text.trim().length === 0) {
        skipped.push({ source: document.source, reason: "empty document" })
        bySource.delete(document.source)
      }
    }
    const total = bySource.size + skipped.length
    let done = 0
    const settle = (source: string, status: DocumentStatus, chunks: number, reason?: string) =>
      report({ _tag: "Document", source, status, chunks, done: ++done, total, ...(reason === undefined ? {} : { reason }) })

    for (const { source, reason } of skipped) {
      yield* Effect.logWarning(`Skipping ${source}: ${reason}`)
      yield* settle(source, "skipped", 0, reason)
    }

    const sources = [...bySource.keys()]
    const stored = new Map<string, string>()
    for (let i = 0; i < sources.length; i += SQL_IN_BATCH) {
      for (const [source, hash] of yield* store.contentHashes(sources.slice(i, i + SQL_IN_BATCH))) stored.set(source, hash)
    }
    // The hash covers everything that shapes the stored chunks, so changing the chunking or embedder re-ingests.
    const chunking = JSON.stringify([options.maxTokens ?? null, options.overlapTokens ?? null, store.embedder.name])
    const hashOf = (d: Document) => createHash("sha256").update(chunking).update(JSON.stringify(d.metadata)).update(d.text).digest("hex")

    let added = 0
    let updated = 0
    let unchanged = 0
    let chunksWritten = 0
    let chunksRemoved = 0
    let batch: Array<Pending> = []
    const flush = Effect.gen(function* () {
      if (batch.length === 0) return
      const pending = batch
      batch = []
      const chunks = pending.flatMap((p) => p.chunks.map((chunk) => ({ p, chunk })))
      const vectors = yield* embedAll(store.embedder, chunks.map(({ chunk }) => chunk.text))
      const rows: Array<Row> = chunks.map(({ p, chunk }, i) => ({
        id: `${p.document.source}#${chunk.index}`,
        text: chunk.text,
        vector: vectors[i]!,
        source: p.document.source,
        chunkIndex: chunk.index,
        heading: chunk.heading,
        contentHash: p.hash,
        metadata: p.document.metadata
      }))
      const existing = new Set(pending.filter((p) => p.existed).map((p) => p.document.source))
      const result = yield* store.replaceSources(rows, existing)
      chunksWritten += result.written
      chunksRemoved += result.removed
      for (const p of pending) {
        if (p.existed) updated++
        else added++
        yield* settle(p.document.source, p.existed ? "updated" : "added", p.chunks.length)
      }
    })

    let batched = 0
    for (const document of bySource.values()) {
      const hash = hashOf(document)
      const previous = stored.get(document.source)
      if (previous === hash) {
        unchanged++
        yield* settle(document.source, "unchanged", 0)
        continue
      }
      const chunks = Chunker.chunk(document.text, options)
      if (chunks.length === 0) {
        // Text without a chunkable line (e.g. only headings): nothing to store, and its old chunks go.
        if (previous !== undefined) chunksRemoved += yield* store.deleteSource(document.source)
        skipped.push({ source: document.source, reason: "no text to index" })
        yield* Effect.logWarning(`Skipping ${document.source}: no text to index`)
        yield* settle(document.source, "skipped", 0, "no text to index")
        continue
      }
      batch.push({ document, hash, chunks, existed: previous !== undefined })
      batched += chunks.length
      if (batched >= batchSize) {
        yield* flush
        batched = 0
      }
    }
    yield* flush

    const removedSources: Array<string> = []
    if (options.removeMissing === true) {
      // A skipped input (now empty or binary) still exists: its earlier chunks stay until it is fixed or removed.
      const inputs = new Set([...bySource.keys(), ...skipped.map((s) => s.source)])
      for (const source of yield* store.sources) {
        if (inputs.has(source)) continue
        chunksRemoved += yield* store.deleteSource(source)
        removedSources.push(source)
      }
    }

    const indexes = options.maintainIndexes === false || chunksWritten + chunksRemoved === 0 ? undefined : yield* store.maintainIndexes()
    const summary: Summary = {
      documents: total,
      added,
      updated,
      unchanged,
      skipped,
      removedSources,
      chunksWritten,
      chunksRemoved,
      indexes,
      durationMs: Date.now() - started
    }
    yield* report({ _tag: "Done", summary })
    return summary
  }).pipe(Effect.withSpan("Ingest.run"))

/** The same ingestion as a stream of progress events; the last one is `Done` with the summary. */
export const stream = (input: Loaded | ReadonlyArray<Document>, options: Omit<Options, "onProgress"> = {}): Stream.Stream<Progress, IngestError, LanceDbStore> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const mailbox = yield* Mailbox.make<Progress, IngestError>()
      yield* run(input, { ...options, onProgress: (event) => mailbox.offer(event) }).pipe(Mailbox.into(mailbox), Effect.forkScoped)
      return Mailbox.toStream(mailbox)
    })
  )
