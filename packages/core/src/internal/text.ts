/** Small, dependency-free text utilities shared by the offline model and heuristics. */

const STOPWORDS = new Set(
  ("a an and are as at be been but by can could did do does for from had has have how i if in into is it its " +
    "me my no not of on or our shall should so than that the their them then there these they this those to " +
    "under up us was we were what when where which while who why will with would you your about after also any " +
    "each just more most only other over same some such very").split(" ")
)

/** Lower-case content words (letters/digits), stop words removed. */
export const contentWords = (text: string): ReadonlyArray<string> =>
  (text.toLowerCase().match(/[a-z0-9][a-z0-9_-]*/g) ?? []).filter((w) => w.length > 1 && !STOPWORDS.has(w))

/** A crude stem so "routing"/"routes"/"routed" meet at "rout". */
export const stem = (word: string): string => (word.length <= 3 ? word : word.replace(/(?:ing|ed|ly|s)$/, "").replace(/e$/, "") || word)

export const stems = (text: string): ReadonlySet<string> => new Set(contentWords(text).map(stem))

/** Sentences (or bullet lines) of a text, in order, trimmed and non-empty. */
export const sentences = (text: string): ReadonlyArray<string> =>
  text
    .split(/\n+|(?<=[.!?])\s+(?=[A-Z0-9"'(`])/)
    .map((s) => s.replace(/^[#>*\-\s]+/, "").trim())
    .filter((s) => s.length > 0)

/** Fraction of `wanted` stems present in `text` (1 when nothing is wanted). */
export const coverage = (wanted: ReadonlySet<string>, text: string): number => {
  if (wanted.size === 0) return 1
  const have = stems(text)
  let hit = 0
  for (const w of wanted) if (have.has(w)) hit++
  return hit / wanted.size
}
