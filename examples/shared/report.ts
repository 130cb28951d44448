/**
 * Prints the run report (run → pattern → agent → model: calls, errors, tokens, cost, time) of
 * everything the ledger recorded — every example ends with it. A run's time is its wall time (its
 * workflow span's duration, as a trace viewer shows it); the rows below sum their model calls.
 */
import { CostLedger, RunReport, type Telemetry } from "@aixfx/core"
import { Console, Effect } from "effect"

export const costTable = (entries: ReadonlyArray<CostLedger.Entry>, runSpans: ReadonlyArray<Telemetry.ReadableSpan> = []): string =>
  RunReport.format(RunReport.fromLedger(entries, { runSpans }))

/** Prints the report of everything recorded so far; `runSpans` give the runs' wall times. */
export const printCostTable = (runSpans: ReadonlyArray<Telemetry.ReadableSpan>) =>
  Effect.flatMap(CostLedger.entries, (entries) => Console.log(`\n${costTable(entries, runSpans)}`))
