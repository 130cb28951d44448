import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { QUESTIONS, ragDocumentation } from "./main.js"

const dbDir = mkdtempSync(join(tmpdir(), "aixfx-rag-documentation-"))
afterAll(() => rmSync(dbDir, { recursive: true, force: true }))

describe("rag-documentation", () => {
  it("indexes the repository's docs into LanceDB and answers with cited chunks, offline", async () => {
    const answers = await runExample("rag-documentation", ragDocumentation({ dbDir }))
    expect(answers.map((a) => a.question)).toEqual(QUESTIONS)
    for (const a of answers) {
      expect(a.answer.length).toBeGreaterThan(0)
      expect(a.sources.length).toBeGreaterThan(0)
      expect(a.contextTokens).toBeGreaterThan(0)
      for (const id of a.sources) expect(id).toMatch(/^(README\.md|docs\/.+\.md)#\d+$/)
    }
    expect(answers[1]!.sources.some((id) => id.startsWith("docs/telemetry-conventions.md#"))).toBe(true)
    expect(answers[0]!.sources.some((id) => id.startsWith("docs/patterns/rag.md#"))).toBe(true)
  })
})
