/**
 * A LanceDB table of embedded chunks: one row per chunk with id, text, vector, source, chunk index,
 * heading, the content hash of its source document and JSON metadata. The layer opens (or creates)
 * the table in an embedded database directory and closes it with the scope.
 *
 * Search is vector (cosine), full-text (LanceDB's inverted index, BM25) or hybrid (both, fused by
 * reciprocal rank). Below `vectorIndexMinRows` vector search is exact; from there a vector index
 * (IVF_HNSW_SQ unless `vectorIndex` says otherwise) is built, and rebuilt once the rows added since
 * outgrow it by `rebuildGrowth` (the same rule keeps the full-text index fresh). Note: LanceDB 0.37
 * leaves a `.tmpXXXXXX` folder in TMPDIR per vector index build; point TMPDIR somewhere you clean.
 */
import type * as Json from "@aixfx/core/Json"
import * as lancedb from "@lancedb/lancedb"
import * as arrow from "apache-arrow"
import { Context, Effect, Layer, type Scope } from "effect"
import { Embedder, type Service as EmbedderService } from "./Embedder.js"
import { type Filter, matches, sqlString, toSql } from "./internal/filter.js"
import { DimensionMismatch, type EmbeddingFailed, InvalidStoreOption, StoreFailed, TableNotFound } from "./RagError.js"

export type { Filter, FilterScalar } from "./internal/filter.js"

export const DEFAULT_URI = ".aixfx/lancedb"

export interface Options {
  /** Database directory (default `.aixfx/lancedb`, relative to the working directory). */
  readonly uri?: string
  readonly table: string
  /** Create the table when it does not exist (default true); with false, a missing table makes search, delete and ingest fail with `TableNotFound`. */
  readonly create?: boolean
  /**
   * Rows from which a vector index is built (default 50,000). Exact search reads every vector per
   * query: ~10 ms at 10k rows of 512-d, ~70 ms at 100k; the index answers in ~12–14 ms at the cost
   * of seconds to minutes of training per (re)build and some recall (docs/rag.md, bench/RESULTS.md).
   */
  readonly vectorIndexMinRows?: number
  /** Rebuild an index once unindexed rows exceed this fraction of indexed ones (default 0.25). */
  readonly rebuildGrowth?: number
  /** The vector index's kind and how a search reads it: recall against speed (docs/rag.md has measurements). */
  readonly vectorIndex?: VectorIndexOptions
}

export interface VectorIndexOptions {
  /**
   * What each kind found, cost and took to build on 100k rows: docs/rag.md (from bench/rag.ts).
   * - `ivf_hnsw_sq` (default): a graph over 8-bit vectors; the best recall for its latency there,
   *   the slowest to build.
   * - `ivf_pq`: vectors compressed by product quantisation in √rows partitions; the smallest index,
   *   lossy before the refine step.
   * - `ivf_flat`: full vectors in √rows partitions; the quickest to build, exact within the
   *   partitions probed.
   * A table whose index is of another kind is re-indexed at its next `maintainIndexes`.
   */
  readonly kind?: VectorIndexKind
  /** IVF partitions searched per query (default 64; `ivf_hnsw_sq` has one partition per million rows). */
  readonly nprobes?: number
  /** Candidates re-ranked with the full vectors, as a multiple of topK (default 100). */
  readonly refineFactor?: number
}

export type VectorIndexKind = "ivf_pq" | "ivf_flat" | "ivf_hnsw_sq"

/** One chunk as stored. */
export interface Row {
  readonly id: string
  readonly text: string
  readonly vector: Float32Array
  readonly source: string
  readonly chunkIndex: number
  readonly heading: string
  /** Hash of the whole source document the chunk came from (unchanged document ⇒ same hash). */
  readonly contentHash: string
  readonly metadata: Json.JsonObject
}

export type SearchMode = "vector" | "fts" | "hybrid"

export interface SearchOptions {
  readonly mode?: SearchMode
  /** Results wanted (default 5). */
  readonly topK?: number
  /** Exact matches on `source`, `heading`, `chunkIndex`, `id` or any top-level metadata key. */
  readonly filter?: Filter
  /** A raw LanceDB SQL predicate, ANDed with the filter. */
  readonly where?: string
  /**
   * Vector search compares the query with every stored vector, ignoring the vector index: the
   * ground truth to measure the index's recall against, or a narrow filter's few rows (default false).
   */
  readonly exact?: boolean
}

export interface SearchResult {
  readonly id: string
  readonly text: string
  /** vector: cosine similarity (1 − distance); fts: BM25; hybrid: reciprocal-rank-fusion score Σ 1/(60 + rank). Higher is better. */
  readonly score: number
  readonly source: string
  readonly chunkIndex: number
  readonly heading: string
  readonly metadata: Json.JsonObject
}

export type IndexAction = "none" | "kept" | "created" | "rebuilt"

export interface IndexReport {
  readonly rows: number
  readonly vector: IndexAction
  readonly fts: IndexAction
}

export interface Service {
  readonly uri: string
  readonly table: string
  readonly embedder: EmbedderService
  /** Rows in the table (0 when it does not exist). */
  readonly count: Effect.Effect<number, StoreFailed>
  /** Every source that has chunks in the table. */
  readonly sources: Effect.Effect<ReadonlyArray<string>, StoreFailed | TableNotFound>
  /** The stored content hash of each of `sources` that is in the table. */
  readonly contentHashes: (sources: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, string>, StoreFailed | TableNotFound>
  /**
   * Makes `rows` the only chunks of their sources: sources new to the table are appended, sources
   * already there have their old chunks replaced in one commit. Returns rows written and removed.
   */
  readonly replaceSources: (
    rows: ReadonlyArray<Row>,
    existing: ReadonlySet<string>
  ) => Effect.Effect<{ readonly written: number; readonly removed: number }, StoreFailed | TableNotFound | DimensionMismatch>
  /** Removes every chunk of `source`; returns how many. */
  readonly deleteSource: (source: string) => Effect.Effect<number, StoreFailed | TableNotFound>
  readonly search: (query: string, options?: SearchOptions) => Effect.Effect<ReadonlyArray<SearchResult>, StoreFailed | TableNotFound | EmbeddingFailed>
  /** Creates or rebuilds indexes as the table's size calls for (`force` rebuilds both when the table is big enough). */
  readonly maintainIndexes: (options?: { readonly force?: boolean }) => Effect.Effect<IndexReport, StoreFailed | TableNotFound>
}

export class LanceDbStore extends Context.Tag("@aixfx/rag-lancedb/LanceDbStore")<LanceDbStore, Service>() {}

const schemaFor = (dimensions: number) =>
  new arrow.Schema([
    new arrow.Field("id", new arrow.Utf8(), false),
    new arrow.Field("text", new arrow.Utf8(), false),
    new arrow.Field("vector", new arrow.FixedSizeList(dimensions, new arrow.Field("item", new arrow.Float32(), true)), false),
    new arrow.Field("source", new arrow.Utf8(), false),
    new arrow.Field("chunk_index", new arrow.Int32(), false),
    new arrow.Field("heading", new arrow.Utf8(), false),
    new arrow.Field("content_hash", new arrow.Utf8(), false),
    new arrow.Field("metadata", new arrow.Utf8(), false)
  ])

/**
 * Rows as one Arrow record batch, vectors copied into a single Float32 buffer: several times faster
 * for LanceDB to take than plain objects, which it converts value by value.
 */
const toArrow = (schema: arrow.Schema, rows: ReadonlyArray<Row>, dimensions: number): arrow.Table => {
  const length = rows.length
  const vectors = new Float32Array(length * dimensions)
  rows.forEach((row, i) => vectors.set(row.vector, i * dimensions))
  const strings = (pick: (row: Row) => string) => arrow.vectorFromArray(rows.map(pick), new arrow.Utf8()).data[0]!
  const children = [
    strings((r) => r.id),
    strings((r) => r.text),
    arrow.makeData({
      type: schema.fields[2]!.type as arrow.FixedSizeList<arrow.Float32>,
      length,
      nullCount: 0,
      child: arrow.makeData({ type: new arrow.Float32(), length: length * dimensions, nullCount: 0, data: vectors })
    }),
    strings((r) => r.source),
    arrow.makeData({ type: new arrow.Int32(), length, nullCount: 0, data: Int32Array.from(rows, (r) => r.chunkIndex) }),
    strings((r) => r.heading),
    strings((r) => r.contentHash),
    strings((r) => JSON.stringify(r.metadata))
  ]
  return new arrow.Table([new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children }))])
}

const parseMetadata = (json: unknown): Json.JsonObject => {
  try {
    const value = JSON.parse(String(json)) as unknown
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json.JsonObject) : {}
  } catch {
    return {}
  }
}

const FTS_COLUMN = "text"
const VECTOR_COLUMN = "vector"
/** Default IVF probes, and candidates re-ranked with full vectors (× topK); docs/rag.md has what they cost and find. */
const NPROBES = 64
const REFINE_FACTOR = 100

/** LanceDB's configuration of a vector index of `kind` over `rows` rows of `dimensions`. */
const vectorIndexConfig = (kind: VectorIndexKind, rows: number, dimensions: number): lancedb.Index => {
  const numPartitions = Math.max(1, Math.round(Math.sqrt(rows)))
  switch (kind) {
    case "ivf_pq": {
      // Sub-vectors of 16 dimensions (LanceDB's advice), at most 96 of them.
      const numSubVectors = [16, 8, 4, 2, 1].map((d) => dimensions / d).find((n) => Number.isInteger(n) && n <= 96) ?? 1
      return lancedb.Index.ivfPq({ distanceType: "cosine", numPartitions, numSubVectors })
    }
    case "ivf_flat":
      return lancedb.Index.ivfFlat({ distanceType: "cosine", numPartitions })
    case "ivf_hnsw_sq":
      // One partition per million rows: the graph, not the partitions, does the narrowing.
      return lancedb.Index.hnswSq({ distanceType: "cosine", numPartitions: Math.max(1, Math.round(rows / 1_000_000)) })
  }
}
/** RRF's damping constant (60, as in Cormack et al. 2009 and LanceDB's RRFReranker). */
const RRF_K = 60

/** Reciprocal rank fusion: each result scores Σ 1 / (RRF_K + rank) over the lists it appears in. */
const reciprocalRankFusion = (lists: ReadonlyArray<ReadonlyArray<SearchResult>>): ReadonlyArray<SearchResult> => {
  const fused = new Map<string, SearchResult>()
  for (const list of lists) {
    list.forEach((result, rank) => {
      const score = 1 / (RRF_K + rank + 1) + (fused.get(result.id)?.score ?? 0)
      fused.set(result.id, { ...result, score })
    })
  }
  return [...fused.values()].sort((a, b) => b.score - a.score)
}

/** Per-search candidates fetched before the hybrid fusion, as a multiple of topK. */
const HYBRID_FANOUT = 4

/** Each kind as LanceDB's `listIndices` names it. */
const INDEX_TYPES: Record<VectorIndexKind, string> = { ivf_pq: "IvfPq", ivf_flat: "IvfFlat", ivf_hnsw_sq: "IvfHnswSq" }
const VECTOR_INDEX_KINDS = Object.keys(INDEX_TYPES) as ReadonlyArray<VectorIndexKind>

/** The first option out of range, as an error naming it; numbers from config files and plain JavaScript get here unchecked. */
const invalidOption = (options: Options): InvalidStoreOption | undefined => {
  const positiveInteger = (value: number | undefined) => value === undefined || (Number.isInteger(value) && value > 0)
  const atLeastZero = (value: number | undefined) => value === undefined || value >= 0
  const { table, vectorIndex } = options
  if (!atLeastZero(options.vectorIndexMinRows)) return InvalidStoreOption.of(table, "vectorIndexMinRows", options.vectorIndexMinRows, "0 or more (Infinity: never index)")
  if (!atLeastZero(options.rebuildGrowth) || !Number.isFinite(options.rebuildGrowth ?? 0)) {
    return InvalidStoreOption.of(table, "rebuildGrowth", options.rebuildGrowth, "a finite fraction, 0 or more")
  }
  if (vectorIndex?.kind !== undefined && !VECTOR_INDEX_KINDS.includes(vectorIndex.kind)) {
    return InvalidStoreOption.of(table, "vectorIndex.kind", vectorIndex.kind, `one of ${VECTOR_INDEX_KINDS.join(", ")}`)
  }
  if (!positiveInteger(vectorIndex?.nprobes)) return InvalidStoreOption.of(table, "vectorIndex.nprobes", vectorIndex?.nprobes, "a positive integer")
  if (!positiveInteger(vectorIndex?.refineFactor)) return InvalidStoreOption.of(table, "vectorIndex.refineFactor", vectorIndex?.refineFactor, "a positive integer")
  return undefined
}

/** Opens (or creates) the table; fails with `DimensionMismatch` when it holds vectors of another size than the embedder's. */
export const make = (options: Options): Effect.Effect<Service, StoreFailed | DimensionMismatch | InvalidStoreOption, Embedder | Scope.Scope> =>
  Effect.gen(function* () {
    const invalid = invalidOption(options)
    if (invalid !== undefined) return yield* Effect.fail(invalid)
    const uri = options.uri ?? DEFAULT_URI
    const name = options.table
    const embedder = yield* Embedder
    const minRows = options.vectorIndexMinRows ?? 50_000
    const indexKind = options.vectorIndex?.kind ?? "ivf_hnsw_sq"
    const nprobes = options.vectorIndex?.nprobes ?? NPROBES
    const refineFactor = options.vectorIndex?.refineFactor ?? REFINE_FACTOR
    // Hybrid's vector half fetches HYBRID_FANOUT × topK but re-ranks as many candidates as a vector
    // search of topK: refining for all of them took hybrid queries from ~21 to ~37 ms at 100k rows
    // with the HNSW index, for the same hits (bench/rag.ts).
    const hybridRefineFactor = Math.max(1, Math.ceil(refineFactor / HYBRID_FANOUT))
    const growth = options.rebuildGrowth ?? 0.25
    const attempt = <A>(operation: string, run: () => Promise<A>) =>
      Effect.tryPromise({
        try: run,
        catch: (e) => (/table '.*' was not found|dataset at path .* was not found/i.test(String(e)) ? TableNotFound.of(name, uri) : StoreFailed.of(name, operation, e))
      })
    /** For steps before the table is open, where "not found" is a plain failure. */
    const opened = <A>(operation: string, run: () => Promise<A>) =>
      attempt(operation, run).pipe(Effect.catchTag("TableNotFound", (e) => Effect.fail(StoreFailed.of(name, operation, e))))

    /** The index on `column`: its kind as `listIndices` names it, and its statistics. */
    const indexOn = (t: lancedb.Table, column: string) =>
      attempt("listIndices", () => t.listIndices()).pipe(
        Effect.flatMap((indices) => {
          const index = indices.find((i) => i.columns.includes(column))
          return index === undefined
            ? Effect.succeed(undefined)
            : Effect.map(attempt("indexStats", () => t.indexStats(index.name)), (stats) => stats && { type: index.indexType, stats })
        })
      )

    const db = yield* Effect.acquireRelease(
      opened("connect", () => lancedb.connect(uri)),
      (connection) => Effect.sync(() => connection.close())
    )
    const exists = (yield* opened("tableNames", () => db.tableNames())).includes(name)
    const table: lancedb.Table | undefined =
      exists || options.create !== false
        ? yield* Effect.acquireRelease(
            exists
              ? opened("openTable", () => db.openTable(name))
              : opened("createTable", () => db.createEmptyTable(name, schemaFor(embedder.dimensions), { mode: "create", existOk: true })),
            (t) => Effect.sync(() => t.close())
          )
        : undefined
    if (table !== undefined) {
      const stored = yield* opened("schema", () => table.schema())
      const field = stored.fields.find((f) => f.name === VECTOR_COLUMN)
      const tableDimensions = field !== undefined && arrow.DataType.isFixedSizeList(field.type) ? field.type.listSize : -1
      if (tableDimensions !== embedder.dimensions) {
        return yield* Effect.fail(DimensionMismatch.of({ table: name, uri, tableDimensions, embedder: embedder.name, embedderDimensions: embedder.dimensions }))
      }
    }
    const schema = schemaFor(embedder.dimensions)
    const writes = yield* Effect.makeSemaphore(1)
    const present = table === undefined ? Effect.fail(TableNotFound.of(name, uri)) : Effect.succeed(table)

    let ftsReady = table !== undefined && (yield* indexOn(table, FTS_COLUMN).pipe(Effect.orElseSucceed(() => undefined))) !== undefined

    const count = table === undefined ? Effect.succeed(0) : attempt("countRows", () => table.countRows()).pipe(Effect.catchTag("TableNotFound", () => Effect.succeed(0)))

    const contentHashes = (sources: ReadonlyArray<string>) =>
      Effect.flatMap(present, (t) =>
        sources.length === 0
          ? Effect.succeed(new Map<string, string>())
          : attempt("query", () =>
              t.query().where(`source IN (${sources.map(sqlString).join(", ")}) AND chunk_index = 0`).select(["source", "content_hash"]).toArray()
            ).pipe(Effect.map((rows) => new Map(rows.map((r) => [String(r.source), String(r.content_hash)]))))
      )

    const sources = Effect.flatMap(present, (t) =>
      attempt("query", () => t.query().where("chunk_index = 0").select(["source"]).toArray()).pipe(
        Effect.map((rows) => rows.map((r) => String(r.source)).sort())
      )
    )

    const replaceSources = (rows: ReadonlyArray<Row>, existing: ReadonlySet<string>) =>
      Effect.gen(function* () {
        const t = yield* present
        const wrong = rows.find((r) => r.vector.length !== embedder.dimensions)
        if (wrong !== undefined) {
          return yield* Effect.fail(DimensionMismatch.of({ table: name, uri, tableDimensions: embedder.dimensions, embedder: embedder.name, embedderDimensions: wrong.vector.length }))
        }
        const fresh = rows.filter((r) => !existing.has(r.source))
        const changed = rows.filter((r) => existing.has(r.source))
        let removed = 0
        if (fresh.length > 0) yield* attempt("add", () => t.add(toArrow(schema, fresh, embedder.dimensions)))
        if (existing.size > 0) {
          // One commit: matching ids are overwritten, new ones inserted, the sources' leftover chunks deleted.
          const where = `source IN (${[...existing].map(sqlString).join(", ")})`
          const result = yield* attempt("mergeInsert", () =>
            t.mergeInsert("id").whenMatchedUpdateAll().whenNotMatchedInsertAll().whenNotMatchedBySourceDelete({ where }).execute(toArrow(schema, changed, embedder.dimensions))
          )
          removed = result.numDeletedRows
        }
        return { written: rows.length, removed }
      }).pipe(writes.withPermits(1))

    const deleteSource = (source: string) =>
      Effect.gen(function* () {
        const t = yield* present
        const result = yield* attempt("delete", () => t.delete(`source = ${sqlString(source)}`))
        return result.numDeletedRows
      }).pipe(writes.withPermits(1))

    const maintainIndexes = (maintain: { readonly force?: boolean } = {}) =>
      Effect.gen(function* () {
        const t = yield* present
        const rows = yield* attempt("countRows", () => t.countRows())
        if (rows === 0) return { rows, vector: "none", fts: "none" } satisfies IndexReport
        const decide = (index: { readonly type: string; readonly stats: lancedb.IndexStatistics } | undefined, eligible: boolean, wantedType?: string): IndexAction =>
          !eligible
            ? "none"
            : index === undefined
            ? "created"
            : maintain.force === true || index.stats.numUnindexedRows > growth * index.stats.numIndexedRows || (wantedType !== undefined && index.type !== wantedType)
            ? "rebuilt"
            : "kept"
        const fts = decide(yield* indexOn(t, FTS_COLUMN), true)
        if (fts === "created" || fts === "rebuilt") {
          yield* attempt("createIndex fts", () => t.createIndex(FTS_COLUMN, { config: lancedb.Index.fts(), replace: true }))
        }
        ftsReady = true
        // Training needs 256 rows (PQ's codebooks); below minRows exact search is fast anyway. An index
        // of another kind than the one configured (an older default, a changed option) is rebuilt.
        const vector = decide(yield* indexOn(t, VECTOR_COLUMN), rows >= Math.max(256, minRows), INDEX_TYPES[indexKind])
        if (vector === "created" || vector === "rebuilt") {
          yield* attempt(`createIndex ${indexKind}`, () =>
            t.createIndex(VECTOR_COLUMN, { config: vectorIndexConfig(indexKind, rows, embedder.dimensions), replace: true })
          )
        }
        return { rows, vector, fts } satisfies IndexReport
      }).pipe(writes.withPermits(1), Effect.withSpan("LanceDbStore.maintainIndexes", { attributes: { "aixfx.rag.table": name } }))

    const search = (query: string, searchOptions: SearchOptions = {}) =>
      Effect.gen(function* () {
        const t = yield* present
        const mode = searchOptions.mode ?? "hybrid"
        const topK = Math.max(1, Math.floor(searchOptions.topK ?? 5))
        const where = toSql(searchOptions.filter, searchOptions.where)
        if (mode !== "vector" && !ftsReady) {
          // The full-text index appears with the first rows; a table that has none yet has nothing to find.
          const report = yield* maintainIndexes()
          if (report.rows === 0) return []
        }
        const vector = mode === "fts" ? undefined : (yield* embedder.embed([query]))[0]!
        const filtered = <Q extends lancedb.Query | lancedb.VectorQuery>(q: Q): Q => (where === undefined ? q : (q.where(where) as Q))
        const rows = (q: lancedb.Query | lancedb.VectorQuery, score: (r: Record<string, unknown>) => number) =>
          q.toArray().then((raw: ReadonlyArray<Record<string, unknown>>) =>
            raw
              .map((r): SearchResult => ({
                id: String(r["id"]),
                text: String(r["text"]),
                score: score(r),
                source: String(r["source"]),
                chunkIndex: Number(r["chunk_index"]),
                heading: String(r["heading"]),
                metadata: parseMetadata(r["metadata"])
              }))
              .filter((r) => Number.isFinite(r.score) && matches(searchOptions.filter, r.metadata))
          )
        const vectorQuery = (refine: number) => {
          const q = t.vectorSearch(vector!).distanceType("cosine")
          return searchOptions.exact === true ? q.bypassVectorIndex() : q.nprobes(nprobes).refineFactor(refine)
        }
        const byVector = (limit: number, refine = refineFactor) => rows(filtered(vectorQuery(refine)).limit(limit), (r) => 1 - Number(r["_distance"]))
        const byText = (limit: number) => rows(filtered(t.query().fullTextSearch(query, { columns: FTS_COLUMN })).limit(limit), (r) => Number(r["_score"]))
        if (mode === "vector") return yield* attempt("vector search", () => byVector(topK))
        if (mode === "fts") return yield* attempt("full-text search", () => byText(topK))
        // Both searches side by side, fused here: LanceDB's own hybrid query took ~10× as long (bench/rag.ts).
        const [vectorHits, textHits] = yield* attempt("hybrid search", () =>
          Promise.all([byVector(topK * HYBRID_FANOUT, hybridRefineFactor), byText(topK * HYBRID_FANOUT)]))
        return reciprocalRankFusion([vectorHits, textHits]).slice(0, topK)
      }).pipe(
        Effect.withSpan("LanceDbStore.search", {
          attributes: { "aixfx.rag.table": name, "aixfx.rag.mode": searchOptions.mode ?? "hybrid", "aixfx.rag.top_k": searchOptions.topK ?? 5 }
        })
      )

    return { uri, table: name, embedder, count, sources, contentHashes, replaceSources, deleteSource, search, maintainIndexes } satisfies Service
  })

/** The store as a layer; the table and connection close when the layer's scope does. */
export const layer = (options: Options): Layer.Layer<LanceDbStore, StoreFailed | DimensionMismatch | InvalidStoreOption, Embedder> => Layer.scoped(LanceDbStore, make(options))
