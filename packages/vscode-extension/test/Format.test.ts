import { describe, expect, it } from "vitest"
import { formatCost, formatDuration, formatTokens } from "../src/Format.js"
import { wrapWords } from "../src/Presentation.js"

describe("Format", () => {
  it("shows costs with the precision their size needs", () => {
    expect(formatCost(0)).toBe("$0")
    expect(formatCost(12.345)).toBe("$12.35")
    expect(formatCost(0.1234)).toBe("$0.1234")
    expect(formatCost(0.003424)).toBe("$0.0034")
    expect(formatCost(0.000024)).toBe("$0.000024")
    expect(formatCost(0.0000001)).toBe("<$0.000001")
  })

  it("shows durations in the unit that reads best", () => {
    expect(formatDuration(0.25)).toBe("0.25 ms")
    expect(formatDuration(910)).toBe("910 ms")
    expect(formatDuration(1_620)).toBe("1.62 s")
    expect(formatDuration(125_000)).toBe("2 m 05 s")
  })

  it("groups token counts", () => {
    expect(formatTokens(12_345)).toBe("12,345 tok")
  })
})

describe("wrapWords", () => {
  it("breaks at spaces within the width, cuts a longer word, drops extra whitespace", () => {
    expect(wrapWords("one two  three four", 9)).toEqual(["one two", "three", "four"])
    expect(wrapWords("abcdefghijkl xy", 5)).toEqual(["abcde", "fghij", "kl xy"])
    expect(wrapWords("   ", 5)).toEqual([])
  })
})
