/**
 * Replay Model Call without processes: the request taken from a span, where the workspace's install
 * is, how the runner's output is read. process/ReplayRunner.test.ts (`pnpm test:processes`) runs it.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { ReplayError, findAixfxInstall, parseReplayOutput, replayRequest } from "../src/Replay.js"
import type { SpanRecord } from "../src/Span.js"

const repository = fileURLToPath(new URL("../../..", import.meta.url)).replace(/\/$/, "")
const nested: ReadonlyArray<SpanRecord> = JSON.parse(readFileSync(new URL("./traces/nested-patterns.spans.json", import.meta.url), "utf8"))
const leadChat = nested.find((span) => span.name.startsWith("chat ") && span.attributes["gen_ai.agent.name"] === "lead")!

describe("Replay Model Call", () => {
  it("takes the span's provider:model and its captured prompt as chat messages", () => {
    const request = replayRequest(leadChat)!
    expect(request.model).toBe("local:local-heuristic-1")
    expect(request.messages.map((message) => message.role)).toEqual(["system", "user"])
    expect(replayRequest({ ...leadChat, attributes: { ...leadChat.attributes, "gen_ai.input.messages": null } })).toBeUndefined()
  })

  it("finds the workspace's aixfx install from the workflow's folder up, and the tsx to run it with", () => {
    const found = findAixfxInstall(join(repository, "examples", "nested-patterns"), repository, existsSync)
    expect(found).toEqual({ dir: join(repository, "examples"), tsx: join(repository, "node_modules", ".bin", "tsx") })
    expect(findAixfxInstall("/tmp", "/tmp", existsSync)).toBeUndefined()
  })

  it("reads the runner's result or its error", () => {
    expect(parseReplayOutput('noise\n{"ok":{"text":"hi","provider":"local","model":"m","inputTokens":1,"outputTokens":2,"costUsd":0}}\n').text).toBe("hi")
    expect(() => parseReplayOutput('{"error":"Unknown model name"}')).toThrow(ReplayError)
    expect(() => parseReplayOutput("")).toThrow(/printed no result/)
  })
})
