/**
 * Prints the run report (run → pattern → agent → model: calls, errors, tokens, cost, time) of
 * everything the ledger recorded — every example ends with it.
 */
import { CostLedger, RunReport } from "@aixfx/core"
import { Console, Effect } from "effect"

export const costTable = (entries: ReadonlyArray<CostLedger.Entry>): string => RunReport.format(RunReport.fromLedger(entries))

/** Prints the report of everything recorded so far. */
export const printCostTable = Effect.flatMap(CostLedger.entries, (entries) => Console.log(`\n${costTable(entries)}`))
