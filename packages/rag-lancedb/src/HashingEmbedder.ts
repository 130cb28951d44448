/**
 * The offline default embedder: a signed feature-hashing vectoriser (the "hashing trick") over word
 * unigrams and bigrams, weighted by TF-IDF. No model, no download, deterministic.
 *
 * It is lexical, not semantic: texts are close when they share (stemmed) words and word pairs, so it
 * misses synonyms and paraphrase ("car" vs "automobile"). Hash collisions add a little noise that
 * grows as `dimensions` shrinks. IDF weights come from `fit` over a corpus and are frozen into the
 * embedder: embed a table's chunks and its queries with the same fitted embedder. The name carries a
 * fingerprint of the IDF, and ingestion hashes it into each document's content hash, so after a refit
 * re-ingesting rewrites every document with the new weights. See docs/rag.md.
 */
import { Effect, Layer } from "effect"
import { Embedder, type Service } from "./Embedder.js"

/** Document frequencies of features over a corpus, as produced by `fit`. */
export interface Idf {
  readonly documents: number
  readonly frequencies: ReadonlyMap<string, number>
}

export interface Options {
  /** Vector size (default 512). Larger means fewer collisions and more storage. */
  readonly dimensions?: number
  /** IDF fitted on the corpus; without it every feature weighs 1 (plain sub-linear TF). */
  readonly idf?: Idf
  /** Texts per `embed` batch (default 256; it is all in-process). */
  readonly batchSize?: number
}

const STOPWORDS = new Set(
  ("a about above after again all also am an and any are as at be because been before being below between both but by can " +
    "could did do does doing down during each few for from further had has have having he her here hers him his how i if in " +
    "into is it its itself just me more most my no nor not now of off on once only or other our ours out over own same she " +
    "should so some such than that the their theirs them then there these they this those through to too under until up us " +
    "very was we were what when where which while who whom why will with would you your yours").split(" ")
)

/** Lower-case words without stop words, each cut to a crude stem so "indexes"/"indexing" meet. */
const terms = (text: string): ReadonlyArray<string> =>
  (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    .filter((word) => !STOPWORDS.has(word))
    .map((word) => (word.length > 4 ? word.replace(/(?:ing|ed|es|s|ly)$/, "") : word))

/** Unigram and bigram features of a text with their counts. */
export const features = (text: string): ReadonlyMap<string, number> => {
  const words = terms(text)
  const counts = new Map<string, number>()
  const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1)
  words.forEach((word, i) => {
    add(word)
    if (i > 0) add(`${words[i - 1]} ${word}`)
  })
  return counts
}

/** Counts, for each feature, how many of `texts` contain it. */
export const fit = (texts: Iterable<string>): Idf => {
  const frequencies = new Map<string, number>()
  let documents = 0
  for (const text of texts) {
    documents++
    for (const feature of features(text).keys()) frequencies.set(feature, (frequencies.get(feature) ?? 0) + 1)
  }
  return { documents, frequencies }
}

/** 32-bit FNV-1a; its last avalanche step (murmur3's fmix32) decorrelates the sign bit from the bucket. */
const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** A short fingerprint of fitted IDF: in the embedder's name, so a refit counts as another embedder. */
const fingerprint = (idf: Idf): string => {
  let h = hash(String(idf.documents))
  for (const [feature, count] of [...idf.frequencies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    h = hash(`${h}:${feature}:${count}`)
  }
  return h.toString(16).padStart(8, "0")
}

export const make = (options: Options = {}): Service => {
  const dimensions = options.dimensions ?? 512
  const idf = options.idf
  // Smoothed IDF as in scikit-learn: ln((1 + N) / (1 + df)) + 1, so unseen features weigh the most.
  const weight = (feature: string): number =>
    idf === undefined ? 1 : Math.log((1 + idf.documents) / (1 + (idf.frequencies.get(feature) ?? 0))) + 1
  const vectorise = (text: string): Float32Array => {
    const vector = new Float32Array(dimensions)
    for (const [feature, count] of features(text)) {
      const h = hash(feature)
      vector[h % dimensions]! += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(count)) * weight(feature)
    }
    let norm = 0
    for (const x of vector) norm += x * x
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm)
      for (let i = 0; i < dimensions; i++) vector[i]! *= scale
    }
    return vector
  }
  return {
    name: idf === undefined ? `hashing-tf-${dimensions}` : `hashing-tfidf-${dimensions}-${fingerprint(idf)}`,
    dimensions,
    batchSize: options.batchSize ?? 256,
    embed: (texts) => Effect.sync(() => texts.map(vectorise))
  }
}

export const layer = (options: Options = {}): Layer.Layer<Embedder> => Layer.succeed(Embedder, make(options))
