/**
 * A durable run that pauses for a person: a writer drafts a release note, the run asks for approval
 * before publishing it, and continues with what the person approved (they may edit it). The run is
 * kept in a SQLite file, so the wait survives the process: approve from another terminal with the
 * `aixfx` CLI, and the run continues in whichever process runs it then.
 *
 *   pnpm example examples/approval-workflow/main.ts [runId] [--wait]
 *
 * Without `--wait` the example plays the person itself (it approves with an edited title, as
 * `pnpm aixfx approve <run> publish --payload '{...}'` would) so that it finishes on its own.
 * Runs offline on the default model; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one.
 */
import { Agent, AgentRuntime, LocalRuntime, Message, Telemetry, Workflow } from "@aixfx/core"
import { Approval, Durable, Runs } from "@aixfx/durable"
import { Console, Effect, Layer, Logger, LogLevel, Schema } from "effect"
import { chooseModel } from "../shared/model.js"
import { isMain } from "../shared/run.js"

const Post = Schema.Struct({ title: Schema.String, body: Schema.String })

// The `Source:` block is what the writer knows: a real model writes from it, and the offline model
// (docs/offline-model.md) quotes the sentences that answer the request.
const writer = Agent.llm({
  name: "writer",
  role: "writes release notes",
  instructions: `Write a two-sentence release note for the change described, from the facts below.
Source:
Durable runs survive a crash: a run resumes from its journal, and steps that finished are not run or paid for again.
A durable run waits for a person's approval for as long as it takes, then continues in whichever process runs it.
The dashboard's charts load faster.
Settings have a dark theme.`
})
const publisher = Agent.fromFunction("publisher", (m) => Message.reply(m, `Published: ${m.payload}`))

/** The workflow: draft, ask for approval, publish what was approved. */
export const releaseNote = Effect.gen(function* () {
  const draft = yield* AgentRuntime.call("writer", Message.make("Durable runs: a workflow survives a crash and waits for approvals."))
  const approved = yield* Approval.request({ name: "publish", payload: { title: "Durable runs", body: draft.payload }, schema: Post })
  const published = yield* AgentRuntime.call("publisher", Message.make(`${approved.title}: ${approved.body}`))
  return published.payload
})

/**
 * Starts (or continues) run `runId` in store `db`; unless `wait`, approves it with an edited title.
 * Spans go where the environment says (`Telemetry.layerFromEnv`): the VS Code extension shows the
 * run, and what it waits for.
 */
export const approvalWorkflow = (db: string, runId: string, wait = false) => {
  const App = AgentRuntime.layerAgents(writer, publisher).pipe(
    Layer.provideMerge(Durable.layerSqlite({ filename: db })),
    Layer.provide(LocalRuntime.layer()),
    Layer.provide(chooseModel().layer)
  )
  return Effect.gen(function* () {
    const outcome = yield* Durable.start("release-note", runId)(releaseNote)
    if (outcome._tag === "Suspended") {
      yield* Console.log(`Run ${runId} waits for approval: ${outcome.awaiting.join(", ")}.`)
      yield* Console.log(`Approve it from another terminal: pnpm aixfx approve ${runId} publish --db ${db} [--payload '{"title":"...","body":"..."}']`)
      if (!wait) {
        const [run] = (yield* Runs.list).filter((r) => r.runId === runId)
        const asked = run!.awaiting[0]!.payload as typeof Post.Type
        yield* Runs.approve(runId, "publish", { payload: { ...asked, title: "Durable runs, approved" } })
        yield* Console.log(`(approved with an edited title, as the CLI would)`)
      }
    }
    // Waits (through suspensions) for the run's result: the journal replays, the rest runs.
    const result = yield* Workflow.run("release-note", { runId })(releaseNote)
    yield* Console.log(result)
    return result
  }).pipe(Effect.provide(App), Effect.provide(Telemetry.layerFromEnv), Logger.withMinimumLogLevel(LogLevel.Warning))
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2)
  const runId = args.find((a) => !a.startsWith("--")) ?? `note-${Date.now()}`
  Effect.runPromise(approvalWorkflow(process.env["AIXFX_DB"] ?? "aixfx.db", runId, args.includes("--wait"))).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
