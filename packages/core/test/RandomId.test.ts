import { describe, expect, it } from "@effect/vitest"
import { randomId } from "../src/internal/randomId.js"

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("randomId", () => {
  it("makes version-4 UUIDs, distinct across many entropy draws", () => {
    const ids = Array.from({ length: 5_000 }, randomId)
    for (const id of ids) expect(id).toMatch(UUID_V4)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("uses every hex digit in every random position (no stuck bits)", () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>())
    for (let i = 0; i < 2_000; i++) [...randomId()].forEach((char, at) => seen[at]!.add(char))
    seen.forEach((chars, at) => {
      if ([8, 13, 18, 23].includes(at)) expect([...chars]).toEqual(["-"])
      else if (at === 14) expect([...chars]).toEqual(["4"])
      else if (at === 19) expect([...chars].sort()).toEqual(["8", "9", "a", "b"])
      else expect(chars.size).toBe(16)
    })
  })
})
