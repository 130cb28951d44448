/**
 * Approvals across processes: a run suspends and its process exits; the CLI (another process)
 * approves, rejects or edits; the application, started again, finishes the run from there.
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { cli, fixture, lastJson, lines, run } from "../processes.js"

const dir = mkdtempSync(join(tmpdir(), "aixfx-durable-approval-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const script = fixture("approvalRun.ts")

describe("approvals across processes", () => {
  it("suspends, exits, is approved (then edited) from the CLI, and completes in a later process", async () => {
    const db = join(dir, "approve.db")
    const counter = join(dir, "approve.log")
    const app = (mode: "start" | "wait" = "start") => run(script, [db, counter, "post-1", mode])

    const first = await app()
    assert.strictEqual(first.code, 0, first.stderr)
    assert.deepStrictEqual(lastJson(first.stdout), { suspended: ["go"] })

    const listed = await cli(["runs", "--db", db, "--json"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    const [info] = lastJsonArray(listed.stdout)
    assert.strictEqual(info.runId, "post-1")
    assert.strictEqual(info.status, "suspended")
    assert.deepStrictEqual(info.awaiting.map((a: any) => [a.name, a.payload]), [["go", { plan: "publish Hello" }]])

    // Bad input: each a clear error and exit code 2, and nothing changes.
    const unknownRun = await cli(["approve", "nope", "go", "--db", db])
    assert.strictEqual(unknownRun.code, 2)
    assert.include(unknownRun.stderr, `No durable run "nope"`)
    const notWaiting = await cli(["approve", "post-1", "publisher.publish", "--db", db])
    assert.strictEqual(notWaiting.code, 2)
    assert.include(notWaiting.stderr, `Run "post-1" is not waiting for approval "publisher.publish"`)

    assert.strictEqual((await cli(["approve", "post-1", "go", "--db", db])).code, 0)
    const twice = await cli(["approve", "post-1", "go", "--db", db])
    assert.strictEqual(twice.code, 2)
    assert.include(twice.stderr, `Approval "go" of run "post-1" was already approved`)

    // Started again: past "go", the publisher's tool call now waits for its own approval.
    const second = await app()
    assert.strictEqual(second.code, 0, second.stderr)
    assert.deepStrictEqual(lastJson(second.stdout), { suspended: ["publisher.publish"] })
    assert.deepStrictEqual(lines(counter).filter((l) => l.startsWith("tool")), [])

    const edited = await cli(["approve", "post-1", "publisher.publish", "--payload", `{"title":"Edited"}`, "--db", db])
    assert.strictEqual(edited.code, 0, edited.stderr)
    const third = await app()
    assert.strictEqual(third.code, 0, third.stderr)
    assert.deepStrictEqual(lastJson(third.stdout), { done: true, value: `Done: published "Edited"` })
    // The tool ran once, with the edited arguments; "go" was approved with its payload as asked.
    // (Code between steps runs again on each replay: "approved" is logged by the second and third process.)
    assert.deepStrictEqual(lines(counter).filter((l) => l.startsWith("tool") || l.startsWith("approved")), [
      "approved publish Hello",
      "approved publish Hello",
      `tool publish {"title":"Edited"}`
    ])
    const done = lastJsonArray((await cli(["runs", "--db", db, "--json"])).stdout)
    assert.strictEqual(done[0].status, "done")
  }, 900_000)

  it("a rejection ends the run with ApprovalRejected naming the run, the approval and the reason", async () => {
    const db = join(dir, "reject.db")
    const counter = join(dir, "reject.log")
    assert.deepStrictEqual(lastJson((await run(script, [db, counter, "post-2", "start"])).stdout), { suspended: ["go"] })
    const rejected = await cli(["reject", "post-2", "go", "--reason", "not today", "--db", db])
    assert.strictEqual(rejected.code, 0, rejected.stderr)
    const after = lastJson((await run(script, [db, counter, "post-2", "start"])).stdout)
    assert.strictEqual(after.error._tag, "ApprovalRejected")
    assert.strictEqual(after.error.runId, "post-2")
    assert.strictEqual(after.error.approval, "go")
    assert.strictEqual(after.error.reason, "not today")
    assert.deepStrictEqual(lines(counter).filter((l) => l.startsWith("model") || l.startsWith("tool")), [])
    const status = lastJsonArray((await cli(["runs", "--db", db, "--json"])).stdout)
    assert.strictEqual(status[0].status, "failed")
  }, 900_000)

  it("the CLI with --workflows continues the run itself: approve, suspend again, approve, done; resume of a done run prints its result", async () => {
    const db = join(dir, "workflows.db")
    const counter = join(dir, "workflows.log")
    const env = { AIXFX_TEST_COUNTER: counter }
    const workflows = ["--db", db, "--workflows", fixture("approvalWorkflows.ts")]
    assert.deepStrictEqual(lastJson((await run(script, [db, counter, "post-4", "start"])).stdout), { suspended: ["go"] })

    const first = await cli(["approve", "post-4", "go", ...workflows], env)
    assert.strictEqual(first.code, 0, first.stderr)
    assert.include(first.stdout, "approved go of run post-4")
    assert.include(first.stdout, "run post-4 waits for approval: publisher.publish")
    const second = await cli(["approve", "post-4", "publisher.publish", "--payload", `{"title":"From the CLI"}`, ...workflows], env)
    assert.strictEqual(second.code, 0, second.stderr)
    assert.include(second.stdout, `run post-4 done: Done: published "From the CLI"`)
    assert.deepStrictEqual(lines(counter).filter((l) => l.startsWith("tool")), [`tool publish {"title":"From the CLI"}`])
    // A finished run replays its result from the journal: nothing runs again.
    const again = await cli(["resume", "post-4", ...workflows], env)
    assert.strictEqual(again.code, 0, again.stderr)
    assert.include(again.stdout, `run post-4 done: Done: published "From the CLI"`)
    assert.strictEqual(lines(counter).filter((l) => l.startsWith("tool")).length, 1)

    // Bad input: a module without the run's workflow, a module that is no workflows module.
    const other = await cli(["resume", "post-4", "--db", db, "--workflows", fixture("agents.ts")], env)
    assert.strictEqual(other.code, 2)
    assert.include(other.stderr, "exports no Workflows")
  }, 900_000)

  it("a runner that is running notices an approval given from another process", async () => {
    const db = join(dir, "live.db")
    const counter = join(dir, "live.log")
    const waiting = run(script, [db, counter, "post-3", "wait"])
    // Wait until the run asks, then approve both steps from the CLI while the runner keeps running.
    for (const approval of ["go", "publisher.publish"]) {
      for (let i = 0; ; i++) {
        const listed = lastJsonArray((await cli(["runs", "--db", db, "--json"])).stdout)
        if (listed[0]?.awaiting.some((a: any) => a.name === approval)) break
        assert.isBelow(i, 100, `the run never asked for ${approval}`)
        await new Promise((r) => setTimeout(r, 200))
      }
      assert.strictEqual((await cli(["approve", "post-3", approval, "--db", db])).code, 0)
    }
    const finished = await waiting
    assert.strictEqual(finished.code, 0, finished.stderr)
    assert.deepStrictEqual(lastJson(finished.stdout), { done: true, value: `Done: published "Hello"` })
  }, 900_000)
})

function lastJsonArray(stdout: string): Array<any> {
  return JSON.parse(stdout.slice(stdout.indexOf("[")))
}
