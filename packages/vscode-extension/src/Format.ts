/** Short human-readable figures for tree descriptions, tooltips and the timeline. */

export const formatDuration = (ms: number): string => {
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(2)} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1_000)
  return `${minutes} m ${String(seconds).padStart(2, "0")} s`
}

/** Cents from a dollar up, four decimals below, two significant digits for the tiny cost of one small call. */
export const formatCost = (usd: number): string => {
  if (usd === 0) return "$0"
  if (usd >= 1) return `$${usd.toFixed(2)}`
  if (usd >= 0.01) return `$${usd.toFixed(4)}`
  if (usd >= 0.000001) return `$${usd.toPrecision(2)}`
  return "<$0.000001"
}

export const formatTokens = (tokens: number): string => `${tokens.toLocaleString("en-US")} tok`
