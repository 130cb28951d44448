/**
 * Runs an example program with what every example needs: LocalRuntime, the chosen model, the cost
 * ledger and telemetry from the environment; prints the model banner first and the cost table last.
 */
import { type AgentRuntime, CostLedger, type LanguageModel, LocalRuntime, Telemetry, Workflow } from "@aixfx/core"
import { Console, Effect, Layer } from "effect"
import { chooseModel } from "./model.js"
import { printCostTable } from "./report.js"

type Provided = AgentRuntime.AgentRuntime | LanguageModel.LanguageModel | CostLedger.CostLedger

/** Runs `program` as workflow `name`; returns its result (also when imported by a smoke test). */
export const runExample = <A, E>(name: string, program: Effect.Effect<A, E, Provided>): Promise<A> => {
  const model = chooseModel()
  return Effect.runPromise(
    Effect.gen(function* () {
      yield* Console.log(`${model.banner}\n`)
      const result = yield* program.pipe(Workflow.run(name))
      yield* printCostTable
      return result
    }).pipe(Effect.provide(Layer.mergeAll(LocalRuntime.layer(), model.layer, CostLedger.layer, Telemetry.layerFromEnv)))
  )
}

/** True when the module is the program being run (not imported by a test). */
export const isMain = (importMetaUrl: string): boolean => process.argv[1] !== undefined && importMetaUrl.endsWith(process.argv[1].replace(/\\/g, "/"))
