import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { QUESTIONS, ragDocumentation } from "./main.js"

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
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
      // Offline, the answer quotes the retrieved chunks and cites them, never the prompt's own instruction.
      expect(a.answer).not.toContain("Answer from the context below")
      expect(a.answer).not.toContain("I have no information")
      const cited = [...a.answer.matchAll(/\[([^\]]+#\d+)\]/g)].map((m) => m[1])
      expect(cited.length).toBeGreaterThan(0)
      for (const id of cited) expect(a.sources).toContain(id)
    }
    // The cost question cites a file that documents the cost attribute (whichever docs exist by then).
    const citedFiles = new Set(answers[1]!.sources.map((id) => id.split("#")[0]!))
    expect([...citedFiles].some((file) => readFileSync(join(repoRoot, file), "utf8").includes("gen_ai.usage.cost"))).toBe(true)
    expect(answers[0]!.sources.some((id) => id.startsWith("docs/patterns/rag.md#"))).toBe(true)
  })
})
