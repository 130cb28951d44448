/**
 * Per-module entry points: `@aixfx/core/<Module>` resolves through the package's `exports`, and an
 * in-process program (LocalRuntime, agents, the offline model, the ledger) loads no gRPC,
 * protobuf, OTel SDK or Langfuse. Each case imports in a fresh node process (tsx, the sources)
 * and reads which modules the ESM loader resolved.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, describe, expect, it } from "vitest"
// @ts-expect-error a plain .mjs helper shared with scripts/test-pack.sh (no types)
import { heavyIn } from "../../../../scripts/lib/heavy-packages.mjs"

const coreDir = fileURLToPath(new URL("../../", import.meta.url))
const recorder = fileURLToPath(new URL("../../../../scripts/lib/record-imports.mjs", import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), "aixfx-entry-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let runs = 0
/** The URLs resolved while a fresh node imports `specifiers` from inside package `cwd` (default core). */
const importsOf = async (specifiers: ReadonlyArray<string>, cwd = coreDir): Promise<ReadonlyArray<string>> => {
  const log = join(scratch, `imports-${runs++}.txt`)
  const script = `for (const s of ${JSON.stringify(specifiers)}) await import(s)`
  await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--conditions=@aixfx/source", "--import", recorder, "--input-type=module", "-e", script],
    { cwd, env: { ...process.env, AIXFX_RECORD_IMPORTS: log }, timeout: 120_000 }
  )
  return readFileSync(log, "utf8").split("\n").filter(Boolean)
}

const IN_PROCESS = ["LocalRuntime", "Agent", "AgentRuntime", "Message", "LanguageModel", "LocalHeuristicModel", "CostLedger", "Workflow", "FanOut"]

describe("entry points", () => {
  it("the in-process modules load no gRPC, protobuf, OTel SDK or Langfuse", async () => {
    const urls = await importsOf(IN_PROCESS.map((module) => `@aixfx/core/${module}`))
    expect(urls.some((url) => url.endsWith("/core/src/LocalRuntime.ts"))).toBe(true)
    expect(heavyIn(urls)).toEqual([])
  }, 180_000)

  it("the patterns (the whole @aixfx/patterns index) load none of them either", async () => {
    const urls = await importsOf(["@aixfx/patterns", "@aixfx/core/LocalRuntime"], fileURLToPath(new URL("../../../patterns/", import.meta.url)))
    expect(urls.some((url) => url.endsWith("/patterns/src/Ensemble.ts"))).toBe(true)
    expect(heavyIn(urls)).toEqual([])
  }, 180_000)

  it("the providers and the LanceDB plugin (their whole indexes) import core per module and load none of them either", async () => {
    const providers = await importsOf(["@aixfx/providers", "@aixfx/core/LocalRuntime"], fileURLToPath(new URL("../../../providers/", import.meta.url)))
    expect(providers.some((url) => url.endsWith("/providers/src/OpenAi.ts"))).toBe(true)
    expect(heavyIn(providers)).toEqual([])
    const rag = await importsOf(["@aixfx/rag-lancedb", "@aixfx/core/LocalRuntime"], fileURLToPath(new URL("../../../rag-lancedb/", import.meta.url)))
    expect(rag.some((url) => url.endsWith("/rag-lancedb/src/Retriever.ts"))).toBe(true)
    expect(heavyIn(rag)).toEqual([])
    // Neither reaches core's index, which would load DistributedRuntime and Telemetry.
    for (const urls of [providers, rag]) expect(urls.filter((url) => url.endsWith("/core/src/index.ts"))).toEqual([])
  }, 180_000)

  it("the heavy parts load where they are used: DistributedRuntime loads gRPC, Telemetry the OTel SDK and Langfuse", async () => {
    const distributed = heavyIn(await importsOf(["@aixfx/core/DistributedRuntime"]))
    expect(distributed).toEqual(expect.arrayContaining(["@grpc/grpc-js", "@grpc/proto-loader", "protobufjs"]))
    expect(distributed).not.toContain("@langfuse/otel")
    const telemetry = heavyIn(await importsOf(["@aixfx/core/Telemetry"]))
    expect(telemetry).toEqual(expect.arrayContaining(["@opentelemetry/sdk-trace-base", "@langfuse/otel"]))
    expect(telemetry).not.toContain("@grpc/grpc-js")
  }, 180_000)

  it("internal modules are not exported", async () => {
    await expect(importsOf(["@aixfx/core/internal/llmAgent"])).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/)
  }, 180_000)
})
