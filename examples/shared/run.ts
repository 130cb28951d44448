/**
 * Runs an example program with what every example needs: LocalRuntime, the chosen model, the cost
 * ledger and telemetry from the environment; prints the model banner first and the cost table last.
 */
import { type AgentRuntime, CostLedger, Failure, type LanguageModel, LocalRuntime, Telemetry, Workflow } from "@aixfx/core"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { chooseModel } from "./model.js"
import { printCostTable } from "./report.js"

type Provided = AgentRuntime.AgentRuntime | LanguageModel.LanguageModel | CostLedger.CostLedger

/**
 * The environment's telemetry, plus the run's spans kept in `spans`: the cost table takes the run's
 * time from its workflow span, so it shows the duration a trace viewer shows.
 */
const telemetry = (spans: Telemetry.InMemorySpanExporter) =>
  Layer.unwrapEffect(Effect.map(Telemetry.optionsFromEnv, (options) => Telemetry.layer({ ...options, memory: spans })))

/** `program` as workflow `name`, with the model banner first and the cost table last, on everything it needs. */
const example = <A, E>(name: string, program: Effect.Effect<A, E, Provided>) => {
  const model = chooseModel()
  const spans = new Telemetry.InMemorySpanExporter()
  return Effect.gen(function* () {
    yield* Console.log(`${model.banner}\n`)
    const result = yield* program.pipe(Workflow.run(name))
    yield* printCostTable(spans.getFinishedSpans().filter((span) => span.name === `workflow ${name}`))
    return result
  }).pipe(Effect.provide(Layer.mergeAll(LocalRuntime.layer(), model.layer, CostLedger.layer, telemetry(spans))))
}

/** Runs `program` as workflow `name` and returns its result (what a smoke test calls). */
export const runExample = <A, E>(name: string, program: Effect.Effect<A, E, Provided>): Promise<A> => Effect.runPromise(example(name, program))

/**
 * Runs `program` as the process's main program: a failure prints as one line plus its cause
 * (`Failure.report`) and sets exit code 1; Ctrl-C interrupts it cleanly.
 */
export const runMain = <A, E>(name: string, program: Effect.Effect<A, E, Provided>): void =>
  NodeRuntime.runMain(example(name, program).pipe(Failure.report(name)), { disableErrorReporting: true })

/** True when the module is the program being run (not imported by a test). */
export const isMain = (importMetaUrl: string): boolean => process.argv[1] !== undefined && importMetaUrl.endsWith(process.argv[1].replace(/\\/g, "/"))
