import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { approvalWorkflow } from "./main.js"

const dir = mkdtempSync(join(tmpdir(), "aixfx-approval-example-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("approval-workflow", () => {
  it("pauses for approval, then publishes what was approved (the edited title)", async () => {
    const result = await Effect.runPromise(approvalWorkflow(join(dir, "runs.db"), "note-1"))
    // The title is the person's edit; the body is the writer's draft from its facts (offline model).
    expect(result).toMatch(/^Published: Durable runs, approved: /)
    expect(result).toContain("resumes from its journal")
    expect(result).toContain("waits for a person's approval")
    expect(result).not.toContain("no information")
    expect(result).not.toContain("dashboard")
  }, 120_000)
})
