/**
 * Programs as a user runs them, in a child process: one of their own in workflows/ (the README's
 * "your own program"), and a failing one, whose failure is one line plus its cause, not a fiber dump.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

/** `pnpm example <file>` without pnpm: tsx with the source condition, from the repository root. */
const example = (file: string) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", "--conditions=@aixfx/source", file], {
    cwd: repoRoot,
    env: { ...process.env, OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", AIXFX_MODEL: "" },
    timeout: 120_000
  })

describe("running programs", () => {
  it("a program in workflows/ imports the packages and answers from its source offline", async () => {
    const { stdout } = await example("workflows/hello.ts")
    expect(stdout).toContain("Q: Why use Effect for typed errors?")
    expect(stdout).toContain("A: Effect gives every failure a type")
    expect(stdout).toContain("2 model calls")
  }, 180_000)

  it("a failing example prints one line naming the error, and exits 1", async () => {
    const failure = await example("examples/shared/fixtures/failing.ts").then(
      () => expect.fail("the failing example exited 0"),
      (error: { code: number; stderr: string }) => error
    )
    expect(failure.code).toBe(1)
    expect(failure.stderr.trim()).toBe('failing failed: AgentNotFound: No agent named "writer"; registered agents: (none)')
  }, 180_000)
})
