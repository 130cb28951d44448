/**
 * End to end in a real VS Code (code-server from npm, driven by Debian Chromium through
 * playwright-core), as ../shared/notes/vscode-e2e.md describes:
 *   1. installs the packaged .vsix, opens the fixture workspace, runs a workflow from the command
 *      palette and reads the Runs, Trace and Span Details views and the timeline webview;
 *   2. runs test/e2e/host/suite.ts inside the real extension host (smoke-test driver).
 * Screenshots and logs go to test-artifacts/. Everything binds 127.0.0.1, every wait is bounded,
 * and only the process groups started here are stopped. Exits non-zero on any failure; the last
 * line reads "N passed, N failed".
 */
import { build } from "esbuild"
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, type Frame, type Page, chromium } from "playwright-core"
import { install } from "./install.js"
import { run, startGroup, stopAll } from "./proc.js"

const extensionDir = fileURLToPath(new URL("../..", import.meta.url))
const artifacts = join(extensionDir, "test-artifacts")
const logFile = join(artifacts, "e2e.log")
const hostBundle = join(extensionDir, "build", "e2e-host", "index.cjs")
const stagedExtension = join(extensionDir, "build", "vsix-stage")
const vsix = join(extensionDir, "build", "aixfx-vscode.vsix")
/** Everything after the install must finish within this, or the suite fails. */
const SUITE_TIMEOUT_MS = 15 * 60_000

const results: Array<{ readonly name: string; readonly ok: boolean }> = []
const t0 = Date.now()
const say = (line: string): void => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`)

const check = async (name: string, body: () => Promise<void>): Promise<boolean> => {
  try {
    await body()
    results.push({ name, ok: true })
    say(`PASS ${name}`)
    return true
  } catch (error) {
    results.push({ name, ok: false })
    say(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`)
    return false
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const waitForHttp = async (url: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`)
}

const commandPalette = async (page: Page, command: string): Promise<void> => {
  await page.keyboard.press("F1")
  const input = page.locator(".quick-input-widget input")
  await input.waitFor({ state: "visible", timeout: 15_000 })
  await input.fill(`>${command}`)
  await page.locator(".quick-input-list .monaco-list-row").first().waitFor({ timeout: 15_000 })
  await page.keyboard.press("Enter")
}

/** A tree row whose text contains every one of `parts`. */
const row = (page: Page, ...parts: ReadonlyArray<string>) => {
  let locator = page.locator(".monaco-list-row[role='treeitem']")
  for (const part of parts) locator = locator.filter({ hasText: part })
  return locator.first()
}

const webviewFrame = async (page: Page, selector: string, timeoutMs: number): Promise<Frame> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if ((await frame.$(selector).catch(() => null)) !== null) return frame
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`no webview frame with ${selector} within ${timeoutMs} ms`)
}

const uiPhase = async (browser: Browser, base: string, workspace: string): Promise<void> => {
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } })
  page.setDefaultTimeout(30_000)
  try {
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`, { timeout: 60_000 })
    await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 })

    const viewsUp = await check("the aixfx views list the workflows", async () => {
      // The views appear once the extension host is up (10–20 s); keep asking until then.
      const deadline = Date.now() + 90_000
      for (;;) {
        await commandPalette(page, "aixfx: Focus on Workflows View")
        try {
          await row(page, "demo", "workflows/demo.mjs").waitFor({ timeout: 10_000 })
          return
        } catch (error) {
          if (Date.now() > deadline) throw error
          await page.keyboard.press("Escape")
        }
      }
    })
    if (!viewsUp) return

    await check("Run Workflow from the command palette: the Runs view shows it finished, with cost", async () => {
      await commandPalette(page, "aixfx: Run Workflow")
      const input = page.locator(".quick-input-widget input")
      await page.locator(".quick-input-list .monaco-list-row", { hasText: "demo" }).waitFor({ timeout: 15_000 })
      await input.fill("demo")
      await page.keyboard.press("Enter")
      await row(page, "demo", "succeeded", "$0.0034").waitFor({ timeout: 60_000 })
    })

    await check("the Trace view shows the pattern and agent nodes with cost", async () => {
      await row(page, "workflow support-desk", "$0.0034").waitFor()
      await row(page, "pattern.router triage", "$0.0034").waitFor()
      await row(page, "step router.route", "$0.0034").waitFor()
      await row(page, "agent.call billing", "$0.0034").waitFor()
      await row(page, "invoke_agent billing", "$0.0034").waitFor()
    })
    await page.screenshot({ path: join(artifacts, "views.png") })

    await check("the timeline draws every span and the cost summary by agent and model", async () => {
      await commandPalette(page, "aixfx: Open Trace Timeline")
      const frame = await webviewFrame(page, "#chart .bar", 30_000)
      const bars = await frame.locator("#chart .bar").count()
      if (bars !== 9) throw new Error(`expected 9 bars, saw ${bars}`)
      const summary = await frame.locator("#summary").innerText()
      for (const expected of ["billing", "triage", "gpt-4o", "gpt-4o-mini", "$0.0034"]) if (!summary.includes(expected)) throw new Error(`summary lacks ${expected}: ${summary}`)
    })
    await page.screenshot({ path: join(artifacts, "timeline.png") })

    await check("clicking a timeline bar selects the span in the Trace view and shows its details", async () => {
      const frame = await webviewFrame(page, "#chart .bar", 10_000)
      await frame.locator("#chart .bar[aria-label^='chat gpt-4o:']").click()
      await page.locator(".monaco-list-row[role='treeitem'][aria-selected='true']", { hasText: "chat gpt-4o" }).first().waitFor({ timeout: 15_000 })
      // Content capture is on in the workspace settings, so the prompt is there.
      await row(page, "prompt", "Invoice 1042 shows two charges").waitFor({ timeout: 15_000 })
      await row(page, "status", "ok").waitFor({ timeout: 15_000 })
    })
    await page.screenshot({ path: join(artifacts, "timeline-selected.png") })

    await check("runs and their traces survive a window reload", async () => {
      // State is saved two seconds after the last change.
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      await page.reload({ timeout: 60_000 })
      await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 })
      const deadline = Date.now() + 90_000
      for (;;) {
        await commandPalette(page, "aixfx: Focus on Runs View")
        try {
          await row(page, "demo", "succeeded", "$0.0034").waitFor({ timeout: 10_000 })
          // The spans were kept too: the restored run's trace is back in the Trace view.
          await row(page, "workflow support-desk", "$0.0034").waitFor({ timeout: 30_000 })
          return
        } catch (error) {
          if (Date.now() > deadline) throw error
          await page.keyboard.press("Escape")
        }
      }
    })
    await page.screenshot({ path: join(artifacts, "after-reload.png") })
  } finally {
    await page.screenshot({ path: join(artifacts, "ui-last.png") }).catch(() => undefined)
    await page.close()
  }
}

const hostPhase = async (browser: Browser, base: string, port: number, workspace: string): Promise<void> => {
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } })
  const hostLines: Array<string> = []
  try {
    const exitCode = new Promise<number>((resolve) => {
      void page.exposeFunction("codeAutomationExit", (code: number) => resolve(code))
    })
    const consoleLog = createWriteStream(join(artifacts, "host-console.log"))
    page.on("console", (message) => {
      const text = message.text()
      consoleLog.write(`${text}\n`)
      if (text.includes("[host]")) {
        const line = text.slice(text.indexOf("[host]"))
        hostLines.push(line)
        say(line)
      }
    })
    const remote = (path: string) => `vscode-remote://127.0.0.1:${port}${path}`
    const payload = JSON.stringify([
      ["extensionDevelopmentPath", remote(stagedExtension)],
      ["extensionTestsPath", remote(hostBundle)]
    ])
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`, { timeout: 60_000 })
    let timer: NodeJS.Timeout | undefined
    const code = await Promise.race([
      exitCode,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("the extension-host tests did not finish within 180 s")), 180_000)
      })
    ]).finally(() => clearTimeout(timer))
    await page.screenshot({ path: join(artifacts, "host-tests.png") }).catch(() => undefined)
    const reported = hostLines.filter((line) => / (PASS|FAIL) /.test(line))
    for (const line of reported) results.push({ name: `extension host: ${line.replace(/^\[host\] (PASS|FAIL) /, "").split(":")[0]}`, ok: line.includes(" PASS ") })
    if (reported.length === 0 || (code !== 0 && reported.every((line) => line.includes(" PASS ")))) {
      results.push({ name: "extension host: the test runner itself", ok: code === 0 && reported.length > 0 })
      say(`extension-host runner exited with ${code} after ${reported.length} reported tests`)
    }
  } catch (error) {
    results.push({ name: "extension host: the test runner itself", ok: false })
    say(`FAIL extension-host tests: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    await page.close()
  }
}

const main = async (): Promise<void> => {
  rmSync(artifacts, { recursive: true, force: true })
  mkdirSync(artifacts, { recursive: true })
  const installStarted = Date.now()
  const installed = await install(logFile, say)
  say(`dependencies ready in ${((Date.now() - installStarted) / 1000).toFixed(1)} s (cache: reused when present)`)
  const watchdog = setTimeout(() => {
    say(`FAIL the suite took longer than ${SUITE_TIMEOUT_MS / 60_000} min after the install`)
    void stopAll().finally(() => {
      console.log(`${results.filter((result) => result.ok).length} passed, ${results.filter((result) => !result.ok).length + 1} failed`)
      process.exit(1)
    })
  }, SUITE_TIMEOUT_MS)
  watchdog.unref()

  say("building and packaging the extension")
  for (const [script, ...args] of [["build.mjs", "--production"], ["package.mjs"]]) await run(process.execPath, [join(extensionDir, "scripts", script!), ...args], { cwd: extensionDir, timeoutMs: 180_000, logFile })
  await build({
    entryPoints: [join(extensionDir, "test", "e2e", "host", "suite.ts")],
    outfile: hostBundle,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    logLevel: "warning"
  })

  const tmp = mkdtempSync(join(tmpdir(), "aixfx-e2e-"))
  const dirs = { home: join(tmp, "home"), userData: join(tmp, "user-data"), extensions: join(tmp, "extensions") }
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true })
  const fixture = join(extensionDir, "test", "e2e", "fixture-workspace")
  const workspaces = { ui: join(tmp, "workspace-ui"), host: join(tmp, "workspace-host") }
  for (const dir of Object.values(workspaces)) cpSync(fixture, dir, { recursive: true })
  mkdirSync(join(dirs.userData, "User"), { recursive: true })
  writeFileSync(
    join(dirs.userData, "User", "settings.json"),
    JSON.stringify({
      "telemetry.telemetryLevel": "off",
      "chat.disableAIFeatures": true,
      "workbench.startupEditor": "none",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "update.mode": "none",
      "workbench.tips.enabled": false,
      "aixfx.captureContent": true
    })
  )
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: join(dirs.home, ".config"),
    XDG_DATA_HOME: join(dirs.home, ".local", "share"),
    XDG_CACHE_HOME: join(dirs.home, ".cache"),
    PATH: `${dirname(installed.node24)}:${process.env["PATH"] ?? ""}`,
    // Unreachable on purpose: the server must not reach for the marketplace.
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: "http://127.0.0.1:9/gallery", itemUrl: "http://127.0.0.1:9/item" })
  }

  const codeServer = (args: ReadonlyArray<string>) => [installed.codeServer, "--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions, ...args]
  say("installing the .vsix into code-server")
  await run(installed.node24, codeServer(["--install-extension", vsix]), { env, timeoutMs: 120_000, logFile })

  const port = await freePort()
  const config = join(tmp, "config.yaml")
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`)
  say(`starting code-server on 127.0.0.1:${port}`)
  const server = startGroup(
    installed.node24,
    codeServer(["--config", config, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--vscode-option", "enable-smoke-test-driver"]),
    { env, logFile: join(artifacts, "code-server.log") }
  )
  const base = `http://127.0.0.1:${port}`
  let browser: Browser | undefined
  try {
    await waitForHttp(`${base}/healthz`, 60_000)
    browser = await chromium.launch({
      executablePath: installed.chromium,
      headless: true,
      timeout: 60_000,
      // playwright gives the browser a fresh temporary profile of its own.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    })
    say("UI: the packaged extension, driven as a person would")
    await uiPhase(browser, base, workspaces.ui)
    say("extension host: the extension's own tests")
    await hostPhase(browser, base, port, workspaces.host)
  } finally {
    await browser?.close().catch(() => undefined)
    await stopAll()
    if (server.exitCode === null && server.signalCode === null) say("warning: code-server did not stop")
    rmSync(tmp, { recursive: true, force: true })
  }
}

let fatal = false
try {
  await main()
} catch (error) {
  fatal = true
  say(`FAIL ${error instanceof Error ? error.message : String(error)}`)
  await stopAll()
}
const passed = results.filter((result) => result.ok).length
const failed = results.length - passed + (fatal ? 1 : 0)
say(`screenshots and logs: ${artifacts}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 && passed > 0 ? 0 : 1)
