/**
 * Replay Model Call for real: the runner script the extension writes runs with the workspace's tsx
 * and its own provider layer (a process, seconds to start; part of `pnpm test:processes`).
 */
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { RUNNER_SCRIPT, findAixfxInstall, parseReplayOutput, replayRequest } from "../../src/Replay.js"
import type { SpanRecord } from "../../src/Span.js"

const repository = fileURLToPath(new URL("../../../..", import.meta.url)).replace(/\/$/, "")
const nested: ReadonlyArray<SpanRecord> = JSON.parse(readFileSync(new URL("../traces/nested-patterns.spans.json", import.meta.url), "utf8"))
const leadChat = nested.find((span) => span.name.startsWith("chat ") && span.attributes["gen_ai.agent.name"] === "lead")!

describe("Replay Model Call", () => {
  it("runs the edited prompt again through the workspace's own provider layer (offline model), with tokens and cost", async () => {
    const install = findAixfxInstall(join(repository, "examples", "nested-patterns"), repository, existsSync)!
    const runner = join(install.dir, "node_modules", ".cache", "aixfx", "replay-model-call.test.mts")
    mkdirSync(join(install.dir, "node_modules", ".cache", "aixfx"), { recursive: true })
    writeFileSync(runner, RUNNER_SCRIPT)
    const request = { model: "local:local-heuristic-1", messages: [...replayRequest(leadChat)!.messages.slice(0, 1), { role: "user", text: "Explain how the router keeps model costs low." }] }
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(install.tsx, ["--conditions=@aixfx/source", runner], { cwd: install.dir, env: { ...process.env, AIXFX_REPLAY_REQUEST: JSON.stringify(request) }, timeout: 120_000 }, (error, out) =>
        error === null ? resolve(out) : reject(error)
      )
    )
    const result = parseReplayOutput(stdout)
    expect(result).toMatchObject({ provider: "local", model: "local-heuristic-1", costUsd: 0 })
    expect(result.text.length).toBeGreaterThan(0)
    expect(result.inputTokens).toBeGreaterThan(0)
  }, 150_000)
})
