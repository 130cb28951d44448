import { makeTempDir } from "./tempDir.js"
import { HashingEmbedder, Ingest, LanceDbStore, Loader } from "@aixfx/rag-lancedb"
import * as lancedb from "@lancedb/lancedb"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Stream } from "effect"
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const root = makeTempDir("store")
let tables = 0
/** A fresh table name per test, in the shared temp database. */
const freshTable = () => `t${++tables}`

const storeLayer = (options: LanceDbStore.Options, dimensions = 256) =>
  LanceDbStore.layer({ uri: join(root, "db"), ...options }).pipe(Layer.provide(HashingEmbedder.layer({ dimensions })))

const doc = (source: string, text: string, metadata = {}) => Loader.fromString(source, text, { metadata })

const ALPHA = `# Alpha

## Install

Run the installer with the --fast flag. It copies binaries into /opt/alpha.

## Configure

Edit alpha.toml and set the region to eu-west. Restart the daemon after each change.`

const BETA = `# Beta

Beta is a queue service. Producers push jobs; consumers acknowledge them within thirty seconds or the job is redelivered.`

const GAMMA = `# Gamma

Gamma renders invoices as PDF files. Each invoice carries a tax line per country.`

const corpus = [doc("alpha.md", ALPHA, { team: "infra" }), doc("beta.md", BETA, { team: "infra" }), doc("gamma.md", GAMMA, { team: "billing" })]

const allRows = Effect.flatMap(LanceDbStore.LanceDbStore, (s) => s.count)

describe("LanceDbStore + Ingest (real LanceDB in a temp directory)", () => {
  it.scoped("ingests documents; re-ingesting them unchanged writes nothing and leaves no duplicates", () =>
    Effect.gen(function* () {
      const first = yield* Ingest.run(corpus)
      assert.strictEqual(first.added, 3)
      assert.isAbove(first.chunksWritten, 3)
      const rows = yield* allRows
      assert.strictEqual(rows, first.chunksWritten)
      assert.strictEqual(first.indexes?.fts, "created")
      const second = yield* Ingest.run(corpus)
      assert.deepStrictEqual([second.added, second.updated, second.unchanged, second.chunksWritten], [0, 0, 3, 0])
      assert.strictEqual(yield* allRows, rows)
    }).pipe(Effect.provide(storeLayer({ table: freshTable() })))
  )

  it.scoped("a changed document has its old chunks replaced; delete removes a source", () =>
    Effect.gen(function* () {
      const store = yield* LanceDbStore.LanceDbStore
      yield* Ingest.run(corpus)
      const before = yield* store.search("installer fast flag", { mode: "fts", topK: 3 })
      assert.strictEqual(before[0]?.source, "alpha.md")
      const updated = yield* Ingest.run([doc("alpha.md", "# Alpha\n\nAlpha was retired; use the orchestrator instead.", { team: "infra" })])
      assert.strictEqual(updated.updated, 1)
      assert.isAbove(updated.chunksRemoved, 0)
      const alphaRows = yield* store.search("alpha", { mode: "fts", topK: 10, filter: { source: "alpha.md" } })
      assert.strictEqual(alphaRows.length, 1)
      assert.include(alphaRows[0]!.text, "retired")
      assert.deepStrictEqual(yield* store.search("installer fast flag", { mode: "fts", topK: 3, filter: { source: "alpha.md" } }), [])

      const removed = yield* store.deleteSource("beta.md")
      assert.isAbove(removed, 0)
      assert.deepStrictEqual(yield* store.search("queue consumers acknowledge", { mode: "fts", topK: 5, filter: { source: "beta.md" } }), [])
      assert.strictEqual((yield* store.contentHashes(["beta.md", "gamma.md"])).size, 1)
      assert.deepStrictEqual(yield* store.sources, ["alpha.md", "gamma.md"])

      // Mirroring: a source missing from the input goes when asked.
      const mirrored = yield* Ingest.run([corpus[2]!], { removeMissing: true })
      assert.deepStrictEqual([mirrored.unchanged, mirrored.removedSources], [1, ["alpha.md"]])
      assert.deepStrictEqual(yield* store.sources, ["gamma.md"])
    }).pipe(Effect.provide(storeLayer({ table: freshTable() })))
  )

  it.scoped("vector, full-text and hybrid search each rank the matching chunk first, with scores", () =>
    Effect.gen(function* () {
      const store = yield* LanceDbStore.LanceDbStore
      yield* Ingest.run(corpus)
      for (const mode of ["vector", "fts", "hybrid"] as const) {
        const results = yield* store.search("Which region goes in alpha.toml?", { mode, topK: 2 })
        assert.isAtMost(results.length, 2, mode)
        assert.strictEqual(results[0]?.source, "alpha.md", mode)
        assert.strictEqual(results[0]?.heading, "Alpha > Configure", mode)
        assert.isTrue(results.every((r, i) => i === 0 || r.score <= results[i - 1]!.score), `${mode}: sorted by score`)
        assert.isAbove(results[0]!.score, 0, mode)
      }
    }).pipe(Effect.provide(storeLayer({ table: freshTable() })))
  )

  it.scoped("filters on columns and on document metadata, and on several values", () =>
    Effect.gen(function* () {
      const store = yield* LanceDbStore.LanceDbStore
      yield* Ingest.run(corpus)
      const billing = yield* store.search("invoice queue installer", { mode: "hybrid", topK: 10, filter: { team: "billing" } })
      assert.deepStrictEqual([...new Set(billing.map((r) => r.source))], ["gamma.md"])
      assert.strictEqual(billing[0]!.metadata["team"], "billing")
      const infra = yield* store.search("invoice queue installer", { mode: "vector", topK: 10, filter: { team: "infra" } })
      assert.deepStrictEqual([...new Set(infra.map((r) => r.source))].sort(), ["alpha.md", "beta.md"])
      const either = yield* store.search("invoice queue", { mode: "fts", topK: 10, filter: { source: ["beta.md", "gamma.md"] } })
      assert.deepStrictEqual([...new Set(either.map((r) => r.source))].sort(), ["beta.md", "gamma.md"])
      const raw = yield* store.search("alpha", { mode: "fts", topK: 10, where: "chunk_index = 0" })
      assert.isTrue(raw.every((r) => r.chunkIndex === 0))
    }).pipe(Effect.provide(storeLayer({ table: freshTable() })))
  )

  it.effect("persists across reopening the database", () =>
    Effect.gen(function* () {
      const table = freshTable()
      const written = yield* Ingest.run(corpus).pipe(Effect.provide(storeLayer({ table })))
      const reopened = yield* Effect.gen(function* () {
        const store = yield* LanceDbStore.LanceDbStore
        return { rows: yield* store.count, top: yield* store.search("tax line per country", { topK: 1 }) }
      }).pipe(Effect.provide(storeLayer({ table, create: false })), Effect.scoped)
      assert.strictEqual(reopened.rows, written.chunksWritten)
      assert.strictEqual(reopened.top[0]?.source, "gamma.md")
    })
  )

  it.effect("an embedder of another size than the table fails with DimensionMismatch naming both sizes", () =>
    Effect.gen(function* () {
      const table = freshTable()
      yield* Ingest.run(corpus).pipe(Effect.provide(storeLayer({ table }, 256)))
      const error = yield* Effect.flip(Effect.scoped(Effect.provide(LanceDbStore.LanceDbStore, storeLayer({ table }, 128))))
      assert.strictEqual(error._tag, "DimensionMismatch")
      assert.include(error.message, "256")
      assert.include(error.message, "128")
      assert.include(error.message, table)
    })
  )

  it.scoped("searching a table that does not exist is TableNotFound", () =>
    Effect.gen(function* () {
      const store = yield* LanceDbStore.LanceDbStore
      const error = yield* Effect.flip(store.search("anything"))
      assert.strictEqual(error._tag, "TableNotFound")
      assert.include(error.message, "missing")
      assert.strictEqual(yield* store.count, 0)
    }).pipe(Effect.provide(storeLayer({ table: "missing", create: false })))
  )

  it.scoped("empty and binary files are skipped with a warning naming them; progress is streamed", () =>
    Effect.gen(function* () {
      const dir = join(root, "files")
      mkdirSync(join(dir, "sub"), { recursive: true })
      writeFileSync(join(dir, "good.md"), "# Good\n\nA real document about lighthouses.")
      writeFileSync(join(dir, "sub", "page.html"), "<html><script>x()</script><h2>Harbour</h2><p>Boats &amp; ferries</p></html>")
      writeFileSync(join(dir, "empty.txt"), "")
      writeFileSync(join(dir, "blob.md"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff]))
      const loaded = yield* Loader.fromDirectory(dir, { root: dir })
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel === LogLevel.Warning) warnings.push(String(message))
      })
      const events = yield* Stream.runCollect(Ingest.stream(loaded)).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      const list = [...events]
      assert.deepStrictEqual(warnings.sort(), ["Skipping blob.md: binary file (contains NUL bytes)", "Skipping empty.txt: empty file"])
      const done = list.at(-1)
      assert.strictEqual(done?._tag, "Done")
      if (done?._tag !== "Done") return
      assert.deepStrictEqual(done.summary.skipped.map((s) => s.source).sort(), ["blob.md", "empty.txt"])
      assert.strictEqual(done.summary.added, 2)
      const progress = list.filter((e) => e._tag === "Document")
      assert.deepStrictEqual(progress.map((e) => e.done), [1, 2, 3, 4])
      assert.isTrue(progress.every((e) => e.total === 4))
      const store = yield* LanceDbStore.LanceDbStore
      const harbour = yield* store.search("ferries", { mode: "fts", topK: 1 })
      assert.strictEqual(harbour[0]?.source, "sub/page.html")
      assert.strictEqual(harbour[0]?.heading, "Harbour")
      assert.notInclude(harbour[0]!.text, "x()")
    }).pipe(Effect.provide(storeLayer({ table: freshTable() })))
  )

  const words = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "glacier", "harbor", "iris", "jade", "kelp", "lagoon"]
  const notes = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => {
      const i = from + k
      return doc(`n${i}.txt`, `Note ${i} mentions ${words[i % 12]} and ${words[(i * 7) % 12]} near marker${i}.`)
    })
  /** The kind of vector index LanceDB reports for `table`. */
  const vectorIndexType = (table: string) =>
    Effect.promise(async () => {
      const db = await lancedb.connect(join(root, "db"))
      const t = await db.openTable(table)
      const indices = await t.listIndices()
      t.close()
      db.close()
      return indices.find((i) => i.columns.includes("vector"))?.indexType
    })

  it.scoped("builds an IVF_PQ index once the table is large enough, rebuilds it after a big ingest, and still finds rows", () => {
    const table = freshTable()
    return Effect.gen(function* () {
      const store = yield* LanceDbStore.LanceDbStore
      const first = yield* Ingest.run(notes(0, 300))
      assert.deepStrictEqual([first.indexes?.vector, first.indexes?.fts], ["created", "created"])
      assert.strictEqual(yield* vectorIndexType(table), "IvfPq")
      const small = yield* Ingest.run(notes(300, 310))
      assert.deepStrictEqual([small.indexes?.vector, small.indexes?.fts], ["kept", "kept"])
      const big = yield* Ingest.run(notes(310, 420))
      assert.deepStrictEqual([big.indexes?.vector, big.indexes?.fts], ["rebuilt", "rebuilt"])
      const hit = yield* store.search("marker415", { mode: "hybrid", topK: 3 })
      assert.strictEqual(hit[0]?.source, "n415.txt")
      const query = "Note 7 mentions harbor and fjord near marker7."
      const vector = yield* store.search(query, { mode: "vector", topK: 5 })
      assert.include(vector.map((r) => r.source), "n7.txt")
      // Exact search ranks every row by its true cosine similarity, as a brute-force pass over the rows does.
      const exact = yield* store.search(query, { mode: "vector", topK: 1000, exact: true })
      assert.strictEqual(exact.length, 420)
      const [queryVector, ...rowVectors] = yield* store.embedder.embed([query, ...exact.map((r) => r.text)])
      const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0)
      const cosine = (a: Float32Array, b: Float32Array) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b))
      exact.forEach((result, i) => assert.closeTo(result.score, cosine(queryVector!, rowVectors[i]!), 1e-4, result.source))
      for (let i = 1; i < exact.length; i++) assert.isAtMost(exact[i]!.score, exact[i - 1]!.score + 1e-6)
      // On 420 rows the probes and the refine cover every row: the same top 5 (by score: notes sharing their words tie).
      vector.forEach((hit, i) => assert.closeTo(hit.score, exact[i]!.score, 1e-4))
      // LanceDB's index-build leftovers went to our TMPDIR, which the file's cleanup removes.
      assert.isTrue(readdirSync(root).some((name) => name.startsWith(".tmp")))
    }).pipe(
      Effect.provide(storeLayer({ table, vectorIndexMinRows: 256, vectorIndex: { kind: "ivf_pq" } })),
      // Opened with another kind configured (here the default), the store replaces the old index.
      Effect.zipRight(
        Effect.gen(function* () {
          const report = yield* Effect.flatMap(LanceDbStore.LanceDbStore, (store) => store.maintainIndexes())
          assert.deepStrictEqual([report.vector, report.fts], ["rebuilt", "kept"])
          assert.strictEqual(yield* vectorIndexType(table), "IvfHnswSq")
        }).pipe(Effect.provide(storeLayer({ table, vectorIndexMinRows: 256 })))
      )
    )
  })

  it.scoped("builds the vector index of the kind asked for, searched with the probes asked for", () => {
    const table = freshTable()
    const options = { table, vectorIndexMinRows: 256 } as const
    /** The share of each query's top 5 found by a store searching `probes` partitions that is as near as the exact top 5. */
    const recall = (probes: number) =>
      Effect.gen(function* () {
        const store = yield* LanceDbStore.LanceDbStore
        let found = 0
        for (let i = 0; i < 60; i++) {
          const query = `Note ${(i * 13) % 300} mentions ${words[i % 12]} and ${words[(i * 5) % 12]}`
          const indexed = yield* store.search(query, { mode: "vector", topK: 5 })
          const exact = yield* store.search(query, { mode: "vector", topK: 5, exact: true })
          // By score, not id: notes sharing their words tie, and a tie may be broken either way.
          found += indexed.filter((hit) => hit.score >= exact.at(-1)!.score - 1e-6).length
        }
        return found / 300
      }).pipe(Effect.provide(storeLayer({ ...options, vectorIndex: { kind: "ivf_flat", nprobes: probes, refineFactor: 1 } })))
    return Effect.gen(function* () {
      const ingested = yield* Ingest.run(notes(0, 300)).pipe(Effect.provide(storeLayer({ ...options, vectorIndex: { kind: "ivf_flat" } })))
      assert.strictEqual(ingested.indexes?.vector, "created")
      assert.strictEqual(yield* vectorIndexType(table), "IvfFlat")
      // All √300 ≈ 17 partitions probed, a flat index answers exactly; one partition misses neighbours.
      assert.strictEqual(yield* recall(17), 1)
      assert.isBelow(yield* recall(1), 1)
    })
  })

  it.scoped("by default the vector index is IVF_HNSW_SQ", () => {
    const table = freshTable()
    return Effect.gen(function* () {
      const store = yield* LanceDbStore.LanceDbStore
      assert.strictEqual((yield* Ingest.run(notes(0, 300))).indexes?.vector, "created")
      assert.strictEqual(yield* vectorIndexType(table), "IvfHnswSq")
      const hits = yield* store.search("Note 42 mentions glacier and harbor near marker42.", { mode: "vector", topK: 5 })
      assert.strictEqual(hits[0]?.source, "n42.txt")
    }).pipe(Effect.provide(storeLayer({ table, vectorIndexMinRows: 256 })))
  })

  it.effect("an option out of range fails the store's layer with InvalidStoreOption naming it", () =>
    Effect.gen(function* () {
      const open = (options: Partial<LanceDbStore.Options>) => Effect.flip(Effect.scoped(Layer.build(storeLayer({ table: freshTable(), ...options }))))
      const probes = yield* open({ vectorIndex: { nprobes: 0 } })
      assert.strictEqual(probes._tag, "InvalidStoreOption")
      assert.include(probes.message, "vectorIndex.nprobes must be a positive integer, got 0")
      const kind = yield* open({ vectorIndex: { kind: "hnsw" as LanceDbStore.VectorIndexKind } })
      assert.include(kind.message, "vectorIndex.kind must be one of ivf_pq, ivf_flat, ivf_hnsw_sq, got hnsw")
      const growth = yield* open({ rebuildGrowth: -1 })
      assert.include(growth.message, "rebuildGrowth")
    }))
})
