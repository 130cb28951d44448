/**
 * 6. RAG on embedded LanceDB: ingest rate (chunk + embed + write) and index build time, and query
 * latency of vector / full-text / hybrid search at two table sizes, on a synthetic corpus; then the
 * token reduction of a RAG context against the whole documentation, for the example's questions.
 *
 *   npx tsx --conditions=@aixfx/source bench/rag.ts [--quick]
 */
import { Tokenizer } from "@aixfx/core"
import { Rag } from "@aixfx/patterns"
import { Chunker, HashingEmbedder, Ingest, LanceDbStore, Loader } from "@aixfx/rag-lancedb"
import { Effect, Layer } from "effect"
import { mkdirSync, readdirSync, rmSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { dirname, join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import type { Benchmark, Section } from "./lib/Benchmark.js"
import { median, quantile } from "./lib/measure.js"

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = join(here, "..")

/** The questions examples/rag-documentation asks (bench does not import examples). */
const EXAMPLE_QUESTIONS = [
  "What does the RAG pattern tell the generator when the retriever finds nothing?",
  "Which span attribute carries the cost of a model call?",
  "How does the Reflection pattern decide that a draft is good enough?",
  "What is LocalHeuristicModel and what does it cost?"
]
/** The example's settings: chunking, topK and context bound. */
const EXAMPLE_CHUNKING = { maxTokens: 200, overlapTokens: 24 }
const EXAMPLE_TOP_K = 4
const EXAMPLE_MAX_CONTEXT_TOKENS = 900

const SECTIONS_PER_DOC = 10
const WORDS_PER_SECTION = 40
const TOP_K = 5

/** Deterministic PRNG (mulberry32), so every run indexes the same corpus. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/**
 * A synthetic corpus: made-up words drawn with a Zipf distribution (as in real text, a few words are
 * everywhere and most are rare), ten sections of one paragraph per document, one chunk per section.
 */
const syntheticCorpus = (chunks: number) => {
  const rand = random(42)
  const syllables = ["ka", "lo", "mi", "ren", "sa", "tu", "vel", "or", "ion", "da", "pe", "shi", "gra", "no", "ul", "zen"]
  const vocabulary = Array.from({ length: 8000 }, (_, i) => {
    let word = ""
    for (let n = 2 + (i % 3); n > 0; n--) word += syllables[Math.floor(rand() * syllables.length)]
    return `${word}${i}`
  })
  const rank = (w: string) => Number(/\d+$/.exec(w)![0])
  const cumulative: Array<number> = []
  vocabulary.reduce((sum, _, rank) => (cumulative[rank] = sum + 1 / Math.pow(rank + 1, 1.07)), 0)
  const total = cumulative.at(-1)!
  const word = () => {
    const x = rand() * total
    let low = 0
    let high = cumulative.length - 1
    while (low < high) {
      const mid = (low + high) >> 1
      if (cumulative[mid]! < x) low = mid + 1
      else high = mid
    }
    return vocabulary[low]!
  }
  const sections: Array<{ readonly id: string; readonly words: ReadonlyArray<string> }> = []
  const documents = Array.from({ length: Math.ceil(chunks / SECTIONS_PER_DOC) }, (_, d) => {
    const parts = Array.from({ length: SECTIONS_PER_DOC }, (_, s) => {
      const words = Array.from({ length: WORDS_PER_SECTION }, word)
      sections.push({ id: `doc${d}.md#${s}`, words })
      return `## Section ${s}\n\n${words.join(" ")}.`
    })
    return Loader.fromString(`doc${d}.md`, parts.join("\n\n"))
  })
  // A query is the five rarest words of one section (its answer), as a user asks with specific terms.
  const queries = (count: number) =>
    Array.from({ length: count }, () => {
      const section = sections[Math.floor(rand() * sections.length)]!
      const picked = [...new Set(section.words)].sort((a, b) => rank(b) - rank(a)).slice(0, 5)
      return { target: section.id, text: picked.join(" ") }
    })
  return { documents, queries }
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

const timed = async <A>(f: () => Promise<A>) => {
  const start = performance.now()
  const value = await f()
  return { ms: performance.now() - start, value }
}

/** Index kinds measured besides the default on the largest table of a full run (vector search only). */
const OTHER_INDEX_KINDS: ReadonlyArray<LanceDbStore.VectorIndexKind> = ["ivf_pq", "ivf_flat"]

const INDEX_NAMES: Record<LanceDbStore.VectorIndexKind, string> = { ivf_pq: "IVF_PQ", ivf_flat: "IVF_FLAT", ivf_hnsw_sq: "IVF_HNSW_SQ" }

interface Query {
  readonly target: string
  readonly text: string
}

/** Latency and hit@5 of `queries` (the first three warm up and are not counted), and each counted query's results. */
const queryPass = (store: LanceDbStore.Service, queries: ReadonlyArray<Query>, options: LanceDbStore.SearchOptions) =>
  Effect.gen(function* () {
    const samples: Array<number> = []
    const results: Array<ReadonlyArray<LanceDbStore.SearchResult>> = []
    let hits = 0
    for (const [i, query] of queries.entries()) {
      const start = performance.now()
      const found = yield* store.search(query.text, { ...options, topK: TOP_K })
      if (i < 3) continue
      samples.push(performance.now() - start)
      results.push(found)
      if (found.some((r) => r.id === query.target)) hits++
    }
    return { p50: median(samples), p95: quantile(samples, 0.95), hits: hits / results.length, results }
  })

/** Of each query's exact top 5, the share `results` found. */
const recallOf = (results: ReadonlyArray<ReadonlyArray<LanceDbStore.SearchResult>>, exact: ReadonlyArray<ReadonlyArray<LanceDbStore.SearchResult>>) =>
  results.reduce((sum, found, i) => sum + exact[i]!.filter((r) => found.some((f) => f.id === r.id)).length / exact[i]!.length, 0) / results.length

const measureSize = async (chunks: number, queryCount: number, dir: string, options: { readonly exactOnly: boolean; readonly otherKinds: boolean }) => {
  const corpus = syntheticCorpus(chunks)
  // IDF from a sample of the corpus, as one would fit it on a representative subset.
  const idf = HashingEmbedder.fit(corpus.documents.slice(0, 200).flatMap((d) => d.text.split("\n\n## ")))
  const storeLayer = (vectorIndex?: LanceDbStore.VectorIndexOptions) =>
    LanceDbStore.layer({
      uri: join(dir, `db-${chunks}`),
      table: "bench",
      ...(options.exactOnly ? { vectorIndexMinRows: Infinity } : {}),
      ...(vectorIndex === undefined ? {} : { vectorIndex })
    }).pipe(Layer.provide(HashingEmbedder.layer({ idf })))
  return run(
    Effect.gen(function* () {
      const store = yield* LanceDbStore.LanceDbStore
      const ingest = yield* Effect.promise(() =>
        timed(() => run(Ingest.run(corpus.documents, { maxTokens: 256, overlapTokens: 0, batchSize: 4096, maintainIndexes: false }).pipe(Effect.provideService(LanceDbStore.LanceDbStore, store))))
      )
      const indexes = yield* Effect.promise(() => timed(() => run(store.maintainIndexes())))
      const vectorQueries = corpus.queries(queryCount + 3)
      // The ground truth: every stored vector compared, the index bypassed.
      const exact = yield* queryPass(store, vectorQueries, { mode: "vector", exact: true })
      const vector = yield* queryPass(store, vectorQueries, { mode: "vector" })
      const fts = yield* queryPass(store, corpus.queries(queryCount + 3), { mode: "fts" })
      const hybrid = yield* queryPass(store, corpus.queries(queryCount + 3), { mode: "hybrid" })
      // The same table and queries with each other kind of index, rebuilt in its place.
      const others: Array<{ kind: LanceDbStore.VectorIndexKind; buildMs: number; vector: typeof vector }> = []
      for (const kind of options.otherKinds ? OTHER_INDEX_KINDS : []) {
        others.push(yield* Effect.gen(function* () {
          const other = yield* LanceDbStore.LanceDbStore
          const build = yield* Effect.promise(() => timed(() => run(other.maintainIndexes({ force: true }))))
          return { kind, buildMs: build.ms, vector: yield* queryPass(other, vectorQueries, { mode: "vector" }) }
        }).pipe(Effect.provide(storeLayer({ kind })), Effect.scoped))
      }
      return {
        chunks: ingest.value.chunksWritten,
        ingestRate: ingest.value.chunksWritten / (ingest.ms / 1000),
        indexMs: indexes.ms,
        vectorIndex: indexes.value.vector,
        latency: { vector, fts, hybrid } as Record<string, typeof vector>,
        exact: { p50: exact.p50, hits: exact.hits, recall: recallOf(vector.results, exact.results) },
        others: others.map((o) => ({ ...o, recall: recallOf(o.vector.results, exact.results) }))
      }
    }).pipe(Effect.provide(storeLayer()), Effect.scoped)
  )
}

/** Tokens of the whole documentation against the RAG context built for each example question. */
const tokenReduction = async (dir: string) => {
  const files = [
    join(repoRoot, "README.md"),
    ...readdirSync(join(repoRoot, "docs"), { recursive: true, encoding: "utf8" }).filter((p) => p.endsWith(".md")).map((p) => join(repoRoot, "docs", p))
  ]
  return run(
    Effect.gen(function* () {
      const loaded = yield* Loader.fromFiles(files, { root: repoRoot })
      const corpusTokens = loaded.documents.reduce((sum, d) => sum + Tokenizer.countTokens(d.text), 0)
      const idf = HashingEmbedder.fit(loaded.documents.flatMap((d) => Chunker.chunk(d.text, EXAMPLE_CHUNKING).map((c) => c.text)))
      const layer = LanceDbStore.layer({ uri: join(dir, "docs"), table: "docs" }).pipe(Layer.provide(HashingEmbedder.layer({ idf })))
      return yield* Effect.gen(function* () {
        yield* Ingest.run(loaded, EXAMPLE_CHUNKING)
        const store = yield* LanceDbStore.LanceDbStore
        const contexts: Array<number> = []
        for (const question of EXAMPLE_QUESTIONS) {
          const results = yield* store.search(question, { mode: "hybrid", topK: EXAMPLE_TOP_K })
          const context = Rag.fitContext(results.map((r) => ({ id: r.id, text: r.text, score: r.score, metadata: {} })), EXAMPLE_MAX_CONTEXT_TOKENS)
          contexts.push(Tokenizer.countTokens(context.map((d) => `[${d.id}] ${d.text}`).join("\n")))
        }
        return { files: loaded.documents.length, corpusTokens, contexts }
      }).pipe(Effect.provide(layer), Effect.scoped)
    })
  )
}

const ms = (value: number) => Number(value.toFixed(1))

export const benchmark: Benchmark = {
  name: "rag",
  run: async ({ quick }): Promise<Section> => {
    const sizes = quick ? [1_000, 10_000] : [10_000, 100_000]
    const queryCount = quick ? 30 : 100
    // LanceDB 0.37 leaves a .tmpXXXXXX folder in TMPDIR per vector index build: keep them in a folder we remove.
    const dir = join(here, ".tmp", `rag-${process.pid}`)
    mkdirSync(dir, { recursive: true })
    const previousTmp = process.env["TMPDIR"]
    process.env["TMPDIR"] = dir
    try {
      const rows: Array<Record<string, string | number>> = []
      for (const size of sizes) {
        // Quick mode skips the index training (tens of seconds) to stay within CI's budget.
        const m = await measureSize(size, queryCount, dir, { exactOnly: quick, otherKinds: !quick && size === sizes.at(-1) })
        const percent = (share: number) => `${Math.round(share * 100)}%`
        rows.push({
          chunks: m.chunks.toLocaleString("en-US"),
          "ingest chunks/s": Math.round(m.ingestRate).toLocaleString("en-US"),
          "vector index": m.vectorIndex === "none" ? "none (exact)" : INDEX_NAMES.ivf_hnsw_sq,
          "index build s": Number((m.indexMs / 1000).toFixed(2)),
          "vector p50 / p95 ms": `${ms(m.latency["vector"]!.p50)} / ${ms(m.latency["vector"]!.p95)}`,
          "FTS p50 / p95 ms": `${ms(m.latency["fts"]!.p50)} / ${ms(m.latency["fts"]!.p95)}`,
          "hybrid p50 / p95 ms": `${ms(m.latency["hybrid"]!.p50)} / ${ms(m.latency["hybrid"]!.p95)}`,
          "hit@5 vector / FTS / hybrid": ["vector", "fts", "hybrid"].map((mode) => percent(m.latency[mode]!.hits)).join(" / "),
          "exact vector p50 ms / hit@5": `${ms(m.exact.p50)} / ${percent(m.exact.hits)}`,
          "index recall@5 vs exact": m.vectorIndex === "none" ? "— (no index)" : percent(m.exact.recall)
        })
        for (const other of m.others) {
          rows.push({
            chunks: m.chunks.toLocaleString("en-US"),
            "ingest chunks/s": "(same table)",
            "vector index": INDEX_NAMES[other.kind],
            "index build s": Number((other.buildMs / 1000).toFixed(2)),
            "vector p50 / p95 ms": `${ms(other.vector.p50)} / ${ms(other.vector.p95)}`,
            "FTS p50 / p95 ms": "",
            "hybrid p50 / p95 ms": "",
            "hit@5 vector / FTS / hybrid": `${percent(other.vector.hits)} / — / —`,
            "exact vector p50 ms / hit@5": "",
            "index recall@5 vs exact": percent(other.recall)
          })
        }
      }
      const reduction = await tokenReduction(dir)
      const meanContext = reduction.contexts.reduce((a, b) => a + b, 0) / reduction.contexts.length
      return {
        title: "6. RAG on embedded LanceDB — ingest, index, query latency; context vs full corpus",
        rows,
        notes: [
          `Synthetic corpus: Zipf-distributed made-up words, one ${WORDS_PER_SECTION}-word section per chunk; HashingEmbedder (512-d, TF-IDF fitted on a sample); @lancedb/lancedb 0.37.1 on local disk.`,
          "Ingest = chunking + embedding + LanceDB writes (batches of 4,096 chunks); index build = FTS index, plus the store's default vector index, IVF_HNSW_SQ (cosine; " +
            `${quick ? "skipped in quick mode: vector search is exact" : "built from 50,000 rows, the default vectorIndexMinRows"}).`,
          `Load average while running: ${loadavg().map((l) => l.toFixed(1)).join(" / ")} on ${cpus().length} cores (the machine is shared; latencies include waiting for a core).`,
          `Latency: ${queryCount} sequential queries per mode (topK ${TOP_K}) after 3 warm-up queries, embedding the query included. A query is the 5 rarest words of one section; hit@5 = that section in the top 5.`,
          "Exact vector: the vector queries again with `exact: true` (the index bypassed, every stored vector compared): the embedder's own hit@5, and the ground truth of `index recall@5` = the share of the exact top 5 the indexed search returned (the store's defaults: 64 probes, refine ×100).",
          ...(quick
            ? []
            : [
              `Other index kinds: the ${sizes.at(-1)!.toLocaleString("en-US")}-chunk table re-indexed with \`vectorIndex: { kind }\` (the build time includes rebuilding the FTS index), the same vector queries, the same probes and refine factor.`,
              "This corpus is hard on IVF partitioning: its sections are independent random draws with no topics for k-means to follow, so a query's nearest neighbours scatter across partitions. Read the recall figures as this corpus's, not as a general one."
            ]),
          `Token reduction, examples/rag-documentation questions (hybrid, topK ${EXAMPLE_TOP_K}, maxContextTokens ${EXAMPLE_MAX_CONTEXT_TOKENS}): ` +
            `the ${reduction.files} documentation files are ${reduction.corpusTokens.toLocaleString("en-US")} tokens; the RAG contexts are ${reduction.contexts.join(", ")} tokens ` +
            `(mean ${Math.round(meanContext)}, ${((1 - meanContext / reduction.corpusTokens) * 100).toFixed(1)}% fewer, ×${(reduction.corpusTokens / meanContext).toFixed(1)}).`
        ]
      }
    } finally {
      if (previousTmp === undefined) delete process.env["TMPDIR"]
      else process.env["TMPDIR"] = previousTmp
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes("--quick")
  benchmark.run({ quick }).then(
    (section) => {
      console.log(`## ${section.title}\n`)
      console.table(section.rows)
      for (const note of section.notes ?? []) console.log(`- ${note}`)
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
