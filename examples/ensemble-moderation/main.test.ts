import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { ensembleModeration } from "./main.js"

describe("ensemble-moderation", () => {
  it("labels each message by majority vote", async () => {
    expect(await runExample("ensemble-moderation", ensembleModeration)).toEqual(["safe", "spam", "abusive"])
  })
})
