/**
 * The `aixfx` command: list the runs in a store and decide their approvals from any process.
 *
 *   aixfx runs [--json]                         every run, its state and what it waits for
 *   aixfx approve <run> <approval> [--payload JSON]
 *   aixfx reject <run> <approval> [--reason TEXT]
 *   aixfx resume <run>
 *   aixfx cancel <run>
 *
 * `--db FILE` (default: $AIXFX_DB, else ./aixfx.db) names the store. The CLI never runs runs: it writes
 * to the store, and the runner process with the workflow's code continues the run (within its poll
 * interval if it is running; when the application starts again otherwise). Exit codes: 0 done,
 * 2 bad input (unknown run, not waiting, already decided, payload not JSON), 1 anything else.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import * as Durable from "./Durable.js"
import * as Runs from "./Runs.js"

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

const withStore = <A, E>(file: string, effect: Effect.Effect<A, E, Durable.Durable>) =>
  Effect.provide(effect, Durable.layerClient({ filename: file }).pipe(Layer.orDie))

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
  { db, run: runArg, approval: approvalArg, payload: Options.text("payload").pipe(Options.withDescription("the approved payload (JSON), replacing the one asked"), Options.optional) },
  ({ approval, db, payload, run }) =>
    withStore(
      db,
      Effect.gen(function* () {
        const edited = Option.isSome(payload) ? { payload: yield* parsePayload(payload.value) } : {}
        yield* Runs.approve(run, approval, edited)
        yield* Console.log(`approved ${approval} of run ${run}`)
      })
    )
).pipe(Command.withDescription("approve what a run waits for (optionally with an edited payload)"))

const reject = Command.make(
  "reject",
  { db, run: runArg, approval: approvalArg, reason: Options.text("reason").pipe(Options.withDefault("rejected")) },
  ({ approval, db, reason, run }) =>
    withStore(db, Effect.zipRight(Runs.reject(run, approval, reason), Console.log(`rejected ${approval} of run ${run}`)))
).pipe(Command.withDescription("reject what a run waits for; the run fails with ApprovalRejected"))

const resume = Command.make("resume", { db, run: runArg }, ({ db, run }) =>
  withStore(db, Effect.zipRight(Runs.resume(run), Console.log(`asked run ${run} to resume`)))).pipe(
    Command.withDescription("ask the runner to continue a suspended run")
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
      badInputTags.has(e._tag)
        ? Effect.zipRight(Console.error(`error: ${(e as { readonly message: string }).message}`), Effect.sync(() => void (process.exitCode = 2)))
        : Effect.fail(e)
    )
  )
