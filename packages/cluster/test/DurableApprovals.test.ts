/**
 * Approvals and durable sleep on the cluster (ClusterDurable): three runner processes and Postgres,
 * this test process a client of the cluster. A run suspends on the runner that executes it; that
 * runner is SIGKILLed while the run waits; the decision comes from another process (the `aixfx`
 * CLI with the workflows module of the cluster), and the run finishes on a surviving runner without
 * running its finished steps again. A rejection, a cancel and an approval's deadline end or continue
 * the run as on one machine; a durable sleep wakes on another runner after its holder was killed.
 * Every agent execution is a row in Postgres (`test_steps`).
 */
import { ApprovalRejected, Workflow } from "@aixfx/core"
import { Durable, RunCancelled, Runs } from "@aixfx/durable"
import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll } from "vitest"
import { cliEntry, lines, run } from "../../durable/test/processes.js"
import { approvalDeadline, clientLayer, expiring, nap, napDuration, release, tooling } from "./fixtures/approvalWorkflows.js"
import { type Runner, settled, startRunner } from "./support/cluster.js"
import { freshDatabase, pgLayer, serverUrl } from "./support/postgres.js"

const server = serverUrl()
const runnerScript = fileURLToPath(new URL("./fixtures/approvalRunner.ts", import.meta.url))
const workflowsModule = fileURLToPath(new URL("./fixtures/approvalWorkflows.ts", import.meta.url))

interface Step {
  readonly agent: string
  readonly pid: number
  readonly payload: string
  readonly at: number
}

if (server === undefined) {
  describe.skip("approvals and durable sleep on the cluster (no Postgres)", () => it("skipped", () => {}))
} else {
  // One cluster for the file: three runners; the approval and the sleep tests each kill one.
  let databaseUrl = ""
  let runners: ReadonlyArray<Runner> = []
  const scope = Effect.runSync(Scope.make())
  const dir = mkdtempSync(join(tmpdir(), "aixfx-cluster-approvals-"))
  /** The publisher's model and tool calls, from every runner. */
  const counter = join(dir, "calls.log")
  beforeAll(async () => {
    databaseUrl = await freshDatabase(server, "approvals")
    runners = await Effect.runPromise(
      Effect.gen(function* () {
        const started = yield* Effect.all(Array.from({ length: 3 }, () => startRunner(databaseUrl, undefined, runnerScript, { COUNTER: counter })), { concurrency: "unbounded" })
        yield* settled(started)
        return started
      }).pipe(Scope.extend(scope))
    )
  }, 600_000)
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    rmSync(dir, { recursive: true, force: true })
  }, 120_000)

  const client = () => Layer.merge(clientLayer(databaseUrl), pgLayer(databaseUrl))

  const steps = (runId: string) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<Step>`SELECT agent, pid, payload, (extract(epoch from at) * 1000)::float8 AS at FROM test_steps WHERE run_id = ${runId} ORDER BY at`
    ).pipe(Effect.orDie, Effect.map((rows) => rows.map((r) => ({ ...r, pid: Number(r.pid), at: Number(r.at) }))))

  /** The runner whose process ran the run's first step: the one executing the run (its calls run there). */
  const holderOf = (runId: string) =>
    Effect.gen(function* () {
      const [first] = yield* steps(runId)
      const holder = runners.find((r) => r.pid === first?.pid)
      assert.isDefined(holder, `run ${runId}'s first step ran on a runner of the test (pid ${first?.pid})`)
      return holder!
    })

  /** The `aixfx` CLI as another process of the cluster: the workflows module opens the cluster at DATABASE_URL. */
  const aixfx = (args: ReadonlyArray<string>) =>
    Effect.promise(() => run(cliEntry, [...args, "--workflows", workflowsModule], 400_000, { DATABASE_URL: databaseUrl }))

  describe("approvals and durable sleep on the cluster", () => {
    it.live("a run suspends for approval; its runner is SIGKILLed; `aixfx approve --payload` in another process resumes it on another runner; finished steps ran once", () =>
      Effect.gen(function* () {
        // As on one machine: Durable.start reports the suspension, Workflow.run waits through it.
        const outcome = yield* Durable.start("release", "r1")(release)
        assert.deepStrictEqual(outcome, { _tag: "Suspended", awaiting: ["go"] })
        const info = yield* Runs.get("r1")
        assert.strictEqual(info.status, "suspended")
        assert.deepStrictEqual(info.awaiting.map((a) => [a.name, a.payload]), [["go", { title: "Notes on release 1.2" }]])
        assert.deepStrictEqual((yield* Runs.list).map((r) => [r.runId, r.status]), [["r1", "suspended"]])
        const waiting = yield* Effect.fork(Workflow.run("release", { runId: "r1" })(release))

        const holder = yield* holderOf("r1")
        yield* holder.kill

        const approved = yield* aixfx(["approve", "r1", "go", "--payload", `{"title":"Edited notes"}`])
        assert.strictEqual(approved.code, 0, approved.stderr)
        assert.include(approved.stdout, "approved go of run r1")
        assert.include(approved.stdout, "run r1 done: Published: Edited notes")

        const out = yield* Fiber.join(waiting).pipe(Effect.timeout("300 seconds"))
        assert.strictEqual(out, "Published: Edited notes")
        const ran = yield* steps("r1")
        assert.deepStrictEqual(ran.map((s) => [s.agent, s.payload]), [["draft", "release 1.2"], ["publish", "Edited notes"]])
        assert.strictEqual(ran[0]!.pid, holder.pid)
        assert.notStrictEqual(ran[1]!.pid, holder.pid, "the run finished on another runner")
        assert.isTrue(runners.some((r) => r.pid === ran[1]!.pid))
        assert.strictEqual((yield* Runs.get("r1")).status, "done")

        // Asked again: the finished run's result, replayed from the journal; no agent runs.
        assert.strictEqual(yield* Workflow.run("release", { runId: "r1" })(release), "Published: Edited notes")
        assert.strictEqual((yield* steps("r1")).length, 2)
      }).pipe(Effect.provide(client())), 900_000)

    it.live("`aixfx reject` in another process: the starting process's Workflow.run fails ApprovalRejected naming the run, the approval and the reason", () =>
      Effect.gen(function* () {
        const waiting = yield* Effect.fork(Workflow.run("release", { runId: "r2" })(release))
        assert.deepStrictEqual(yield* Durable.start("release", "r2")(release), { _tag: "Suspended", awaiting: ["go"] })

        const rejected = yield* aixfx(["reject", "r2", "go", "--reason", "not this week"])
        assert.include(rejected.stdout, "rejected go of run r2")
        // The CLI follows the run to its end, which is the rejection: a failure (exit 1) saying so.
        assert.strictEqual(rejected.code, 1, rejected.stdout)
        assert.include(rejected.stderr, "ApprovalRejected")

        const error = yield* Effect.flip(Fiber.join(waiting)).pipe(Effect.timeout("300 seconds"))
        assert.instanceOf(error, ApprovalRejected)
        assert.strictEqual(error._tag, "ApprovalRejected")
        const rejection = error as ApprovalRejected
        assert.strictEqual(rejection.runId, "r2")
        assert.strictEqual(rejection.approval, "go")
        assert.strictEqual(rejection.reason, "not this week")
        assert.deepStrictEqual((yield* steps("r2")).map((s) => s.agent), ["draft"])
        assert.strictEqual((yield* Runs.get("r2")).status, "failed")
        const twice = yield* Effect.flip(Runs.approve("r2", "go"))
        assert.strictEqual(twice._tag, "ApprovalAlreadyDecided")
      }).pipe(Effect.provide(client())), 900_000)

    it.live("Runs.cancel of a suspended run: the starting process's Workflow.run fails RunCancelled, and the run never runs again", () =>
      Effect.gen(function* () {
        const waiting = yield* Effect.fork(Workflow.run("release", { runId: "r3" })(release))
        assert.deepStrictEqual(yield* Durable.start("release", "r3")(release), { _tag: "Suspended", awaiting: ["go"] })
        yield* Runs.cancel("r3")
        const error = yield* Effect.flip(Fiber.join(waiting)).pipe(Effect.timeout("300 seconds"))
        assert.strictEqual(error._tag, "RunCancelled")
        assert.strictEqual((yield* Runs.get("r3")).status, "cancelled")
        const again = yield* Durable.start("release", "r3")(release)
        assert.isTrue(again._tag === "Done" && Exit.isFailure(again.exit) && Cause.squash(again.exit.cause) instanceof RunCancelled, "started again: RunCancelled")
        assert.strictEqual((yield* Effect.flip(Runs.resume("r3")))._tag, "RunCancelled")
        assert.deepStrictEqual((yield* steps("r3")).map((s) => s.agent), ["draft"])
      }).pipe(Effect.provide(client())), 900_000)

    it.live("an approval's deadline passes with nobody deciding: its clock, on the runner owning the run, approves it and the run publishes", () =>
      Effect.gen(function* () {
        const waiting = yield* Effect.fork(Workflow.run("expiring", { runId: "e1" })(expiring))
        assert.deepStrictEqual(yield* Durable.start("expiring", "e1")(expiring), { _tag: "Suspended", awaiting: ["go"] })
        const out = yield* Fiber.join(waiting).pipe(Effect.timeout("300 seconds"))
        assert.strictEqual(out, "Published: Notes on release 1.3")
        const ran = yield* steps("e1")
        assert.deepStrictEqual(ran.map((s) => s.agent), ["draft", "publish"])
        assert.isAtLeast(ran[1]!.at - ran[0]!.at, Duration.toMillis(approvalDeadline), `publish ran ${approvalDeadline} or more after draft`)
        const late = yield* Effect.flip(Runs.approve("e1", "go"))
        assert.strictEqual(late.message, `Approval "go" of run "e1" was already approved; a decision is final`)
      }).pipe(Effect.provide(client())), 900_000)

    it.live("a needsApproval tool inside an agent call: the run suspends awaiting <agent>.<tool>; approved with edited arguments, the tool runs once with them", () =>
      Effect.gen(function* () {
        const waiting = yield* Effect.fork(Workflow.run("tooling", { runId: "t1" })(tooling))
        assert.deepStrictEqual(yield* Durable.start("tooling", "t1")(tooling), { _tag: "Suspended", awaiting: ["publisher.publish"] })
        assert.deepStrictEqual((yield* Runs.get("t1")).awaiting.map((a) => [a.name, a.payload]), [["publisher.publish", { title: "Hello" }]])
        yield* Runs.approve("t1", "publisher.publish", { payload: { title: "Edited" } })
        const out = yield* Fiber.join(waiting).pipe(Effect.timeout("300 seconds"))
        assert.strictEqual(out, `Done: published "Edited"`)
        assert.deepStrictEqual(lines(counter).filter((l) => l.startsWith("tool")), [`tool publish {"title":"Edited"}`])
        // The agent's call was the step in flight while it waited: its first model call is made again (at-least-once).
        assert.deepStrictEqual(lines(counter).filter((l) => l.startsWith("model")), ["model publisher.call", "model publisher.call", "model publisher.done"])
      }).pipe(Effect.provide(client())), 900_000)

    it.live("durable sleep: the run suspends on its clock; its runner is SIGKILLed while it sleeps; it wakes after its time on another runner", () =>
      Effect.gen(function* () {
        const waiting = yield* Effect.fork(Workflow.run("nap", { runId: "n1" })(nap))
        assert.deepStrictEqual(yield* Durable.start("nap", "n1")(nap), { _tag: "Suspended", awaiting: ["sleep:cool-down"] })
        const holder = yield* holderOf("n1")
        yield* holder.kill

        const out = yield* Fiber.join(waiting).pipe(Effect.timeout("300 seconds"))
        assert.strictEqual(out, "Published: Notes on sleeping")
        const ran = yield* steps("n1")
        assert.deepStrictEqual(ran.map((s) => s.agent), ["draft", "publish"])
        assert.notStrictEqual(ran[1]!.pid, holder.pid, "the run woke on another runner")
        assert.isAtLeast(ran[1]!.at - ran[0]!.at, Duration.toMillis(napDuration), `publish ran ${napDuration} or more after draft`)
        assert.strictEqual((yield* Runs.get("n1")).status, "done")
      }).pipe(Effect.provide(client())), 900_000)
  })
}
