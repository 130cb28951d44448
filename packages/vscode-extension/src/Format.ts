/** Short human-readable figures for tree descriptions, tooltips and the timeline. */

export const formatDuration = (ms: number): string => {
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(2)} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1_000)
  return `${minutes} m ${String(seconds).padStart(2, "0")} s`
}

/** Cents for large amounts, four decimals for the fractions of a cent a single call costs. */
export const formatCost = (usd: number): string => (usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`)

export const formatTokens = (tokens: number): string => `${tokens.toLocaleString("en-US")} tok`
