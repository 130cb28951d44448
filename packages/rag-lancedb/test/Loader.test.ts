import { Loader } from "@aixfx/rag-lancedb"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

describe("Loader", () => {
  it("strips HTML to text, keeping headings and list items, decoding entities", () => {
    const text = Loader.htmlToText(
      "<html><head><style>p{}</style><script>alert(1)</script></head><body><h1>Title</h1><!-- note --><p>Fish &amp; chips &#8364;5</p><ul><li>one</li><li>two</li></ul></body></html>"
    )
    assert.strictEqual(text, "# Title\n\nFish & chips €5\n\n- one\n- two")
  })

  it("formats from the extension; metadata carries the format", () => {
    assert.strictEqual(Loader.fromString("a/page.HTML", "<p>Hi</p>").text, "Hi")
    assert.deepStrictEqual(Loader.fromString("notes.md", "# x", { metadata: { team: "a" } }).metadata, { format: "markdown", team: "a" })
  })

  it.effect("a missing file is LoadFailed naming it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Loader.fromFiles(["/nonexistent/aixfx/readme.md"]))
      assert.strictEqual(error._tag, "LoadFailed")
      assert.include(error.message, "/nonexistent/aixfx/readme.md")
    })
  )
})
