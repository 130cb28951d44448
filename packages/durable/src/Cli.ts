/**
 * The `aixfx` command: list the runs in a store and decide their approvals from any process.
 *
 *   aixfx runs [--json]                         every run, its state and what it waits for
 *   aixfx approve <run> <approval> [--payload JSON]
 *   aixfx reject <run> <approval> [--reason TEXT]
 *   aixfx resume <run>
 *   aixfx cancel <run>
 *
 * `--db FILE` (default: $AIXFX_DB, else ./aixfx.db) names the store. By default the CLI does not run
 * runs: it writes to the store, and the runner process with the workflow's code continues the run
 * (within its poll interval if it is running; when the application starts again otherwise). With
 * `--workflows MODULE` (approve, reject, resume) it loads the application's workflows (`Workflows`)
 * and continues the run itself, printing its result or what it waits for next. Exit codes: 0 done,
 * 2 bad input (unknown run, not waiting, already decided, cancelled, payload not JSON, a module
 * without the run's workflow), 1 anything else (a run that fails prints why, as `Failure.report` does).
 */
import { Message } from "@aixfx/core"
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Exit, Layer, Option } from "effect"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import * as Durable from "./Durable.js"
import * as Runs from "./Runs.js"
import * as Workflows from "./Workflows.js"

const db = Options.text("db").pipe(
  Options.withDescription("the run store (SQLite file); default $AIXFX_DB or ./aixfx.db"),
  Options.withDefault(process.env["AIXFX_DB"] ?? "aixfx.db")
)
const runArg = Args.text({ name: "run" }).pipe(Args.withDescription("the run id"))
const approvalArg = Args.text({ name: "approval" }).pipe(Args.withDescription("the approval's name"))

/** Bad input: a typed error the user can act on (exit code 2). */
export class BadInput extends Error {
  readonly _tag = "BadInput"
}

const workflowsOption = Options.file("workflows").pipe(
  Options.withDescription("the application's workflows module (default export: Workflows.make({ layer, programs })); the CLI then continues the run itself"),
  Options.optional
)

const withStore = <A, E>(file: string, effect: Effect.Effect<A, E, Durable.Durable>) =>
  Effect.provide(effect, Durable.layerClient({ filename: file }).pipe(Layer.orDie))

/** The `Workflows` the module at `path` exports (default, or `workflows`). */
const loadWorkflows = (path: string) =>
  Effect.tryPromise({
    try: () => import(pathToFileURL(resolve(path)).href) as Promise<Record<string, unknown>>,
    catch: (e) => new BadInput(`--workflows ${path} cannot be loaded: ${(e as Error).message}`)
  }).pipe(
    Effect.flatMap((module) => {
      const found = [module["default"], module["workflows"]].find(Workflows.is)
      return found === undefined
        ? Effect.fail(new BadInput(`--workflows ${path} exports no Workflows (export default Workflows.make({ layer, programs }))`))
        : Effect.succeed(found)
    })
  )

/** Continues run `runId` in this process with the application's workflows: prints its result, or what it waits for. */
const continueRun = (workflows: Workflows.Workflows, runId: string) =>
  Effect.gen(function* () {
    const info = yield* Runs.get(runId)
    // Its services come from `workflows.layer`, which this effect is provided with.
    const program = workflows.programs[info.workflow] as Effect.Effect<unknown, unknown> | undefined
    if (program === undefined) {
      return yield* Effect.fail(
        new BadInput(`Run "${runId}" is workflow "${info.workflow}", which the workflows module does not have (it has: ${Object.keys(workflows.programs).join(", ")})`)
      )
    }
    const outcome = yield* Durable.start(info.workflow, runId)(program)
    if (outcome._tag === "Suspended") return yield* Console.log(`run ${runId} waits for approval: ${outcome.awaiting.join(", ")}`)
    if (Exit.isFailure(outcome.exit)) return yield* Effect.failCause(outcome.exit.cause)
    const value = outcome.exit.value
    const shown = value instanceof Message.Message ? value.payload : typeof value === "string" ? value : JSON.stringify(value)
    yield* Console.log(`run ${runId} done: ${shown}`)
  })

/** Runs `decide` against the store; with a workflows module, in the application's stack, then continues the run here. */
const decideAndContinue = <E>(db: string, workflowsPath: Option.Option<string>, runId: string, decide: Effect.Effect<void, E, Durable.Durable>) =>
  Option.match(workflowsPath, {
    onNone: () => withStore(db, decide),
    onSome: (path) =>
      Effect.flatMap(loadWorkflows(path), (workflows) =>
        Effect.zipRight(decide, continueRun(workflows, runId)).pipe(Effect.provide(workflows.layer(db).pipe(Layer.orDie))))
  })

const badInputTags = new Set(["RunNotFound", "RunNotWaiting", "ApprovalAlreadyDecided", "RunCancelled", "BadInput"])

const format = (run: Runs.RunInfo): string => {
  const waits = run.awaiting.map((a) => `${a.name} ${JSON.stringify(a.payload)}`).join("; ")
  const state = run.status === "suspended" && waits !== "" ? `suspended, awaiting ${waits}` : run.status
  return `${run.runId}  ${run.workflow}  ${state}${run.error === null ? "" : `  (${run.error})`}`
}

const runs = Command.make("runs", { db, json: Options.boolean("json").pipe(Options.withDescription("print JSON")) }, ({ db, json }) =>
  withStore(
    db,
    Effect.flatMap(Runs.list, (all) =>
      json ? Console.log(JSON.stringify(all, null, 2)) : Console.log(all.length === 0 ? "no runs" : all.map(format).join("\n")))
  )).pipe(Command.withDescription("list the runs and what they wait for"))

const parsePayload = (text: string) =>
  Effect.try({ try: () => JSON.parse(text) as unknown, catch: (e) => new BadInput(`--payload is not JSON: ${(e as Error).message}`) })

const approve = Command.make(
  "approve",
  {
    db,
    run: runArg,
    approval: approvalArg,
    payload: Options.text("payload").pipe(Options.withDescription("the approved payload (JSON), replacing the one asked"), Options.optional),
    workflows: workflowsOption
  },
  ({ approval, db, payload, run, workflows }) =>
    decideAndContinue(
      db,
      workflows,
      run,
      Effect.gen(function* () {
        const edited = Option.isSome(payload) ? { payload: yield* parsePayload(payload.value) } : {}
        yield* Runs.approve(run, approval, edited)
        yield* Console.log(`approved ${approval} of run ${run}`)
      })
    )
).pipe(Command.withDescription("approve what a run waits for (optionally with an edited payload)"))

const reject = Command.make(
  "reject",
  { db, run: runArg, approval: approvalArg, reason: Options.text("reason").pipe(Options.withDefault("rejected")), workflows: workflowsOption },
  ({ approval, db, reason, run, workflows }) =>
    decideAndContinue(db, workflows, run, Effect.zipRight(Runs.reject(run, approval, reason), Console.log(`rejected ${approval} of run ${run}`)))
).pipe(Command.withDescription("reject what a run waits for; the run fails with ApprovalRejected"))

const resume = Command.make("resume", { db, run: runArg, workflows: workflowsOption }, ({ db, run, workflows }) =>
  Option.isNone(workflows)
    ? withStore(db, Effect.zipRight(Runs.resume(run), Console.log(`asked run ${run} to resume`)))
    : Effect.flatMap(loadWorkflows(workflows.value), (loaded) =>
      Effect.zipRight(Runs.resume(run), continueRun(loaded, run)).pipe(Effect.provide(loaded.layer(db).pipe(Layer.orDie))))).pipe(
    Command.withDescription("continue a run: ask its runner to (default), or run it here with --workflows")
  )

const cancel = Command.make("cancel", { db, run: runArg }, ({ db, run }) =>
  withStore(db, Effect.zipRight(Runs.cancel(run), Console.log(`cancelled run ${run}`)))).pipe(
    Command.withDescription("cancel a run")
  )

export const command = Command.make("aixfx").pipe(Command.withSubcommands([runs, approve, reject, resume, cancel]))

/** Runs the CLI on `argv`; bad input is printed as one line and sets exit code 2. */
export const main = (argv: ReadonlyArray<string>) =>
  Command.run(command, { name: "aixfx", version: "0.1.0" })(argv).pipe(
    Effect.catchAll((e) =>
      badInputTags.has((e as { readonly _tag?: string })._tag ?? "")
        ? Effect.zipRight(Console.error(`error: ${(e as { readonly message: string }).message}`), Effect.sync(() => void (process.exitCode = 2)))
        : Effect.fail(e)
    )
  )
