/**
 * Prints the ledger as a per-agent table (calls, tokens, cost, time) — every example ends with it.
 */
import { CostLedger } from "@aixfx/core"
import { Console, Effect } from "effect"

const money = (usd: number, unpriced: number) => (unpriced > 0 ? `$${usd.toFixed(6)} + ${unpriced} unpriced` : `$${usd.toFixed(6)}`)

export const formatTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: ReadonlyArray<string>) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n")
}

export const costTable = (entries: ReadonlyArray<CostLedger.Entry>): string => {
  const header = ["agent", "calls", "input tok", "output tok", "cost", "model time"]
  const row = (name: string, t: CostLedger.Totals) => [
    name,
    String(t.calls),
    String(t.usage.inputTokens),
    String(t.usage.outputTokens),
    money(t.costUsd, t.unpricedCalls),
    `${t.durationMs} ms`
  ]
  const agents = [...CostLedger.byAgent(entries)].map(([name, t]) => row(name, t))
  return formatTable([header, ...agents, row("total", CostLedger.totals(entries))])
}

/** Prints the per-agent cost table of everything recorded so far. */
export const printCostTable = Effect.flatMap(CostLedger.entries, (entries) => Console.log(`\n${costTable(entries)}`))
