/** Okapi BM25 keyword scoring for the in-memory retriever (no index, no dependencies). */

const STOPWORDS = new Set(
  ("a an and are as at be by can do does for from has have how i in into is it its of on or that the their " +
    "them then there these they this to was were what when where which who why will with you your").split(" ")
)

/** Lower-case word terms, stop words dropped, a trailing plural "s" folded. */
export const terms = (text: string): ReadonlyArray<string> =>
  (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    .filter((w) => w.length > 1 && !STOPWORDS.has(w))
    .map((w) => (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w))

const K1 = 1.2
const B = 0.75

/** BM25 score of each text for `query`, in input order (0 when no query term occurs). */
export const scores = (query: string, texts: ReadonlyArray<string>): ReadonlyArray<number> => {
  const docs = texts.map(terms)
  const averageLength = docs.reduce((sum, d) => sum + d.length, 0) / Math.max(1, docs.length)
  const queryTerms = [...new Set(terms(query))]
  const documentFrequency = new Map(queryTerms.map((t) => [t, docs.filter((d) => d.includes(t)).length]))
  return docs.map((doc) =>
    queryTerms.reduce((score, term) => {
      const frequency = doc.filter((t) => t === term).length
      if (frequency === 0) return score
      const df = documentFrequency.get(term)!
      const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5))
      return score + (idf * frequency * (K1 + 1)) / (frequency + K1 * (1 - B + (B * doc.length) / Math.max(1, averageLength)))
    }, 0)
  )
}
