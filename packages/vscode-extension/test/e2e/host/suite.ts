/**
 * The extension's tests inside a real VS Code extension host (code-server's smoke-test driver
 * loads this module and calls `run`). They drive the installed extension through its commands
 * and read its state through the API `activate` returns.
 */
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as vscode from "vscode"
import { price } from "../../../../providers/src/Prices.js"
import type { AixfxApi } from "../../../src/vscode/extension.js"

const EXTENSION_ID = "aixfx.aixfx-vscode"

const waitFor = async <A>(what: string, probe: () => A | undefined, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const tests: Array<readonly [string, (api: AixfxApi) => Promise<void>]> = []
const test = (name: string, body: (api: AixfxApi) => Promise<void>) => tests.push([name, body])

test("activates with its receiver on 127.0.0.1", async (api) => {
  assert.match(api.receiverEndpoint() ?? "", /^http:\/\/127\.0\.0\.1:\d+$/)
})

test("contributes its commands", async () => {
  const commands = new Set(await vscode.commands.getCommands(true))
  for (const command of ["runWorkflow", "stopRun", "openTimeline", "exportTrace", "importTrace", "clearRuns"]) assert.ok(commands.has(`aixfx.${command}`), command)
})

test("finds the workflows by convention", async (api) => {
  const names = (await waitFor("workflows", () => (api.workflows().length >= 2 ? api.workflows() : undefined))).map((workflow) => workflow.name)
  assert.deepEqual([...names].sort(), ["demo", "slow"])
})

test("puts a Run Workflow lens on a workflow file", async (api) => {
  const demo = api.workflows().find((workflow) => workflow.name === "demo")
  assert.ok(demo !== undefined)
  // The lens command works on an open document only.
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(demo.path))
  await vscode.window.showTextDocument(document)
  const found = await vscode.commands.executeCommand<Array<vscode.CodeLens>>("vscode.executeCodeLensProvider", document.uri)
  const run = found.find((lens) => lens.command?.command === "aixfx.runWorkflow")
  assert.ok(run !== undefined, "no Run Workflow lens")
  assert.equal((run.command?.arguments?.[0] as { path: string }).path, demo.path)
})

let demoRun: string | undefined

test("runs a workflow and receives its trace live: pattern, agents, cost", async (api) => {
  const demo = api.workflows().find((workflow) => workflow.name === "demo")
  const runId = await vscode.commands.executeCommand<string>("aixfx.runWorkflow", demo)
  assert.ok(runId !== undefined)
  demoRun = runId
  assert.equal(api.selectedRunId(), runId)
  // The workflow sends its first batch, then works on for 600 ms: spans must show before it ends.
  let live = false
  const run = await waitFor("the demo run to finish", () => {
    const current = api.runs().find((r) => r.id === runId)
    if (current?.status === "running" && api.tree(runId).byKey.size > 0) live = true
    return current?.status === "running" ? undefined : current
  })
  assert.ok(live, "no spans arrived while the run was going on")
  assert.equal(run.status, "succeeded")
  assert.equal(run.exitCode, 0)
  const tree = api.tree(runId)
  assert.equal(tree.roots.length, 1)
  const workflow = tree.roots[0]!
  assert.equal(workflow.kind, "workflow")
  const router = workflow.children[0]!
  assert.equal(router.kind, "pattern")
  assert.equal(router.span.attributes["aixfx.router.route"], "billing")
  // The agent.call → invoke_agent pair is one node, unless the wrappers are shown.
  const agents = (t: typeof tree) => [...new Set(t.byKey.values())].filter((node) => node.kind === "agent").map((node) => node.span.name).sort()
  assert.deepEqual(agents(tree), ["agent.call billing"])
  await vscode.commands.executeCommand("aixfx.showWrappers")
  assert.equal(api.foldingWrappers(), false)
  assert.deepEqual(agents(api.tree(runId)), ["agent.call billing", "invoke_agent billing"])
  await vscode.commands.executeCommand("aixfx.foldWrappers")
  assert.equal(api.foldingWrappers(), true)
  assert.ok(Math.abs((workflow.usage.costUsd ?? 0) - 0.003424) < 1e-9, `cost ${workflow.usage.costUsd}`)
  assert.equal(workflow.usage.modelCalls, 2)
})

test("gives spans from any OpenTelemetry program a run per trace id, priced with the runtime's price table", async (api) => {
  const traceId = randomBytes(16).toString("hex")
  const rootId = randomBytes(8).toString("hex")
  const now = BigInt(Date.now()) * 1_000_000n
  const attribute = (key: string, value: string | number) => ({ key, value: typeof value === "string" ? { stringValue: value } : { intValue: String(value) } })
  // A model call with a known model and token counts but no cost, as another program reports it.
  const chat = {
    traceId,
    spanId: randomBytes(8).toString("hex"),
    parentSpanId: rootId,
    name: "chat gpt-4o-mini",
    startTimeUnixNano: String(now + 1_000_000n),
    endTimeUnixNano: String(now + 4_000_000n),
    attributes: [attribute("gen_ai.operation.name", "chat"), attribute("gen_ai.request.model", "gpt-4o-mini"), attribute("gen_ai.usage.input_tokens", 1_000_000), attribute("gen_ai.usage.output_tokens", 100_000)]
  }
  const response = await fetch(`${api.receiverEndpoint()}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: rootId, name: "external job", startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5_000_000n) }, chat] }] }]
    })
  })
  assert.equal(response.status, 200)
  const run = await waitFor("the external run", () => api.runs().find((r) => r.id === `trace-${traceId}`))
  assert.equal(run.label, "external job")
  const expected = price("openai", "gpt-4o-mini", { inputTokens: 1_000_000, outputTokens: 100_000, cachedInputTokens: 0, cacheWriteTokens: 0 })
  assert.ok(expected !== undefined && expected > 0, `gpt-4o-mini has a price: ${expected}`)
  const cost = (await waitFor("the model call", () => api.tree(run.id).roots[0]?.usage)).costUsd
  assert.ok(cost !== undefined && Math.abs(cost - expected) < 1e-9, `the run costs ${cost}, the price table says ${expected}`)
  assert.equal((await fetch(`${api.receiverEndpoint()}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" })).status, 400)
  // Metrics from runs are taken (and dropped), not refused.
  assert.equal((await fetch(`${api.receiverEndpoint()}/v1/metrics`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status, 200)
})

test("exports a trace and imports it back", async (api) => {
  assert.ok(demoRun !== undefined, "needs the demo run")
  const file = vscode.Uri.file(join(mkdtempSync(join(tmpdir(), "aixfx-export-")), "demo.trace.json"))
  await vscode.commands.executeCommand("aixfx.exportTrace", demoRun, file)
  assert.ok(existsSync(file.fsPath))
  const saved = JSON.parse(readFileSync(file.fsPath, "utf8"))
  assert.equal(saved.aixfx.run.label, "demo")
  const imported = await vscode.commands.executeCommand<string>("aixfx.importTrace", file)
  assert.ok(imported !== undefined)
  const run = api.runs().find((r) => r.id === imported)
  assert.equal(run?.status, "imported")
  assert.equal(api.tree(imported).byKey.size, api.tree(demoRun).byKey.size)
  assert.equal(api.tree(imported).roots[0]!.usage.costUsd, api.tree(demoRun).roots[0]!.usage.costUsd)
})

test("opens the timeline webview", async () => {
  await vscode.commands.executeCommand("aixfx.openTimeline", demoRun)
  await waitFor("the timeline tab", () =>
    vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith("aixfx.timeline"))
  )
})

test("stops a run", async (api) => {
  const slow = api.workflows().find((workflow) => workflow.name === "slow")
  const runId = await vscode.commands.executeCommand<string>("aixfx.runWorkflow", slow)
  assert.ok(runId !== undefined)
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  assert.equal(api.runs().find((r) => r.id === runId)?.status, "running")
  await vscode.commands.executeCommand("aixfx.stopRun", runId)
  const run = await waitFor("the slow run to stop", () => api.runs().find((r) => r.id === runId && r.status !== "running"), 10_000)
  assert.equal(run.status, "stopped")
})

test("clears finished runs", async (api) => {
  await vscode.commands.executeCommand("aixfx.clearRuns")
  assert.deepEqual(
    api.runs().filter((run) => run.status !== "running"),
    []
  )
})

export const run = async (): Promise<void> => {
  const extension = vscode.extensions.getExtension<AixfxApi>(EXTENSION_ID)
  assert.ok(extension !== undefined, `${EXTENSION_ID} is not installed`)
  const api = await extension.activate()
  let failed = 0
  for (const [name, body] of tests) {
    try {
      await body(api)
      console.log(`[host] PASS ${name}`)
    } catch (error) {
      failed++
      console.log(`[host] FAIL ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    }
  }
  console.log(`[host] ${tests.length - failed} passed, ${failed} failed`)
  if (failed > 0) throw new Error(`${failed} extension-host tests failed`)
}
