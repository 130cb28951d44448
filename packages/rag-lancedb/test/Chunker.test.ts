import { Tokenizer } from "@aixfx/core"
import { Chunker } from "@aixfx/rag-lancedb"
import { assert, describe, it } from "@effect/vitest"

const sentence = (i: number) => `Sentence number ${i} talks about topic ${i % 7} in some detail.`
const long = Array.from({ length: 60 }, (_, i) => sentence(i)).join(" ")

describe("Chunker.chunk", () => {
  it("keeps every chunk within maxTokens and repeats the tail of one chunk at the start of the next", () => {
    const chunks = Chunker.chunk(`# Guide\n\n## Details\n\n${long}`, { maxTokens: 80, overlapTokens: 20 })
    assert.isAbove(chunks.length, 3)
    for (const c of chunks) {
      assert.isAtMost(c.tokens, 80)
      assert.strictEqual(c.tokens, Tokenizer.countTokens(c.text))
      assert.strictEqual(c.heading, "Guide > Details")
      assert.isTrue(c.text.startsWith("Guide > Details\n\n"))
    }
    chunks.slice(1).forEach((c, i) => {
      const previousLast = chunks[i]!.text.split(/(?<=\.)\s+/).at(-1)!
      assert.include(c.text, previousLast, `chunk ${c.index} starts with the end of chunk ${i}`)
    })
    assert.deepStrictEqual(chunks.map((c) => c.index), chunks.map((_, i) => i))
    // Nothing is lost: every sentence lands in some chunk.
    for (let i = 0; i < 60; i++) assert.isTrue(chunks.some((c) => c.text.includes(sentence(i))), `sentence ${i}`)
  })

  it("never crosses a heading and tracks the heading path, ignoring # lines in code fences", () => {
    const text = "Intro line.\n\n# A\n\nText of A.\n\n## A1\n\n```sh\n# not a heading\nls\n```\n\n# B\n\nText of B."
    const chunks = Chunker.chunk(text)
    assert.deepStrictEqual(chunks.map((c) => c.heading), ["", "A", "A > A1", "B"])
    assert.include(chunks[2]!.text, "# not a heading")
  })

  it("splits a single over-long sentence into word windows", () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ")
    const chunks = Chunker.chunk(words, { maxTokens: 64, overlapTokens: 0 })
    assert.isAbove(chunks.length, 5)
    assert.isTrue(chunks.every((c) => c.tokens <= 64))
    assert.strictEqual(chunks.map((c) => c.text).join(" "), words)
  })
})
