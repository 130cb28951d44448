/** docs/distributed.md shows docsSnippet.ts verbatim, so its snippet is code that typechecks. */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8")

describe("docs/distributed.md", () => {
  it("its first TypeScript snippet is examples/distributed/docsSnippet.ts, which tsc checks", () => {
    const docs = read("../../docs/distributed.md")
    const snippet = /```ts\n([\s\S]*?)```/.exec(docs)?.[1]
    const file = read("./docsSnippet.ts")
    const checked = /\/\/ ---- docs\/distributed\.md ----\n([\s\S]*?)\/\/ ---- end ----/.exec(file)?.[1]
    expect(checked).toBeDefined()
    expect(snippet).toBe(checked)
  })
})
