/**
 * End to end in a real VS Code (code-server from npm, driven by Debian Chromium through
 * playwright-core), as ../shared/notes/vscode-e2e.md describes:
 *   1. installs the packaged .vsix, opens this repository, runs real aixfx workflows from the
 *      command palette (examples/nested-patterns and test/e2e/workflows/*, offline model) and checks
 *      what is on screen: no row cut off at the default width, the failing span marked, a stack
 *      link opening file:line, a running span with a ticking clock, two runs compared;
 *   2. runs test/e2e/host/suite.ts inside the real extension host (smoke-test driver).
 * Screenshots and logs go to test-artifacts/. Everything binds 127.0.0.1, every wait is bounded,
 * and only the process groups started here are stopped. Exits non-zero on any failure; the last
 * line reads "N passed, N failed".
 */
import { build } from "esbuild"
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, type Frame, type Page, chromium } from "playwright-core"
import { install } from "./install.js"
import { run, startGroup, stopAll } from "./proc.js"

const extensionDir = fileURLToPath(new URL("../..", import.meta.url))
const repositoryRoot = join(extensionDir, "..", "..")
const artifacts = join(extensionDir, "test-artifacts")
const logFile = join(artifacts, "e2e.log")
const hostBundle = join(extensionDir, "build", "e2e-host", "index.cjs")
const stagedExtension = join(extensionDir, "build", "vsix-stage")
const vsix = join(extensionDir, "build", "aixfx-vscode.vsix")
/** Everything after the install must finish within this, or the suite fails. */
const SUITE_TIMEOUT_MS = 25 * 60_000

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

/** The file names in a zip (the .vsix), from its central directory. */
const zipEntries = (file: string): ReadonlyArray<string> => {
  const zip = readFileSync(file)
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (end < 0) throw new Error(`${file} is not a zip`)
  const names: Array<string> = []
  for (let at = zip.readUInt32LE(end + 16), left = zip.readUInt16LE(end + 10); left > 0; left--) {
    const nameLength = zip.readUInt16LE(at + 28)
    names.push(zip.toString("utf8", at + 46, at + 46 + nameLength))
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32)
  }
  return names
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

/**
 * Rows of the Workflows, Runs and Trace views, and the lines of an error in Span Details, whose
 * text does not fit: it is cut off on screen. (Other Span Details rows are key/value pairs whose
 * long values end in the hover.)
 */
const clippedRows = (page: Page): Promise<ReadonlyArray<string>> =>
  page.evaluate(() => {
    const clipped: Array<string> = []
    // (No named functions in here: the page would not know the __name helper tsx wraps them in.)
    const rows = [...document.querySelectorAll<HTMLElement>(".part.sidebar .pane")].flatMap((pane) => {
      const inPane = [...pane.querySelectorAll<HTMLElement>(".monaco-list-row[role='treeitem']")]
      return (pane.querySelector(".pane-header")?.textContent ?? "").includes("Span Details") ? inPane.filter((row) => row.getAttribute("aria-level") === "2") : inPane
    })
    for (const row of rows) {
      const container = row.querySelector<HTMLElement>(".monaco-icon-label-container")
      if (container === null || container.clientWidth === 0) continue
      const box = container.getBoundingClientRect()
      const parts = [...container.querySelectorAll<HTMLElement>(".label-name, .label-description")]
      const cut = container.scrollWidth > container.clientWidth + 1 || parts.some((part) => part.getBoundingClientRect().right > box.right + 1)
      if (cut) clipped.push(row.innerText.replace(/\s+/g, " "))
    }
    return clipped
  })

const assertNothingClipped = async (page: Page, where: string): Promise<void> => {
  const clipped = await clippedRows(page)
  if (clipped.length > 0) throw new Error(`${where}: ${clipped.length} rows cut off at the default width: ${clipped.slice(0, 5).join(" | ")}`)
}

const runFromPalette = async (page: Page, workflow: string): Promise<void> => {
  await commandPalette(page, "aixfx: Run Workflow")
  const input = page.locator(".quick-input-widget input")
  await page.locator(".quick-input-list .monaco-list-row", { hasText: workflow }).first().waitFor({ timeout: 15_000 })
  await input.fill(workflow)
  await page.waitForTimeout(300)
  await page.keyboard.press("Enter")
}

/** A tree row whose name is exactly `label` (a trace row names its agent, model, step or pattern). */
const labelRow = (page: Page, label: string) =>
  page.locator(".part.sidebar .monaco-list-row[role='treeitem']").filter({ has: page.locator(".label-name", { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) }) })

/** The Trace view's rows as [depth, name, description]. */
const traceRows = (page: Page): Promise<ReadonlyArray<readonly [number, string, string]>> =>
  page.evaluate(() => {
    const pane = [...document.querySelectorAll<HTMLElement>(".part.sidebar .pane")].find((candidate) => candidate.querySelector(".pane-header")?.textContent?.includes("Trace"))
    return [...(pane?.querySelectorAll<HTMLElement>(".monaco-list-row[role='treeitem']") ?? [])].map(
      (row) => [Number(row.getAttribute("aria-level")), row.querySelector(".label-name")?.textContent ?? "", row.querySelector(".label-description")?.textContent ?? ""] as const
    )
  })

/** A Runs row of `workflow` that shows `icon` (pass, error, sync~spin → "sync"). */
const runRow = (page: Page, workflow: string, icon: string) =>
  page.locator(".monaco-list-row[role='treeitem']", { hasText: workflow }).filter({ has: page.locator(`.codicon-${icon}`) }).first()

/**
 * The lines the active terminal shows (xterm's DOM renderer: the e2e settings turn GPU rendering
 * off; a small font and no secondary side bar leave room for a cost table's lines); a row as wide
 * as the terminal continues on the next. Read until it shows text, the same twice.
 */
const terminalLines = async (page: Page): Promise<ReadonlyArray<string>> => {
  let rows: ReadonlyArray<string> = []
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    const now = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>(".terminal-wrapper.active .xterm-rows > div")].map((line) => (line.textContent ?? "").replace(/\u00a0/g, " ")))
    if (now.some((line) => line.trim() !== "") && JSON.stringify(now) === JSON.stringify(rows)) break
    rows = now
    await page.waitForTimeout(500)
  }
  const columns = Math.max(0, ...rows.map((line) => line.length))
  const lines: Array<string> = []
  let pending = ""
  for (const line of rows) {
    pending += line
    if (line.length < columns) {
      lines.push(pending.trimEnd())
      pending = ""
    }
  }
  if (pending !== "") lines.push(pending.trimEnd())
  return lines
}

/** A duration as the extension shows it ("443 ms", "1.07 s") in ms, with the half-step it may be off by. */
const shownDuration = (text: string): { readonly ms: number; readonly within: number } => {
  const ms = /^(\d+) ms$/.exec(text)
  if (ms !== null) return { ms: Number(ms[1]), within: 0.5 }
  const seconds = /^(\d+\.\d\d) s$/.exec(text)
  if (seconds !== null) return { ms: Number(seconds[1]) * 1000, within: 5 }
  throw new Error(`"${text}" is not a duration`)
}

const uiPhase = async (browser: Browser, base: string, workspace: string): Promise<void> => {
  // The sidebar keeps its default width; the window is tall so the trees show many rows at once.
  const page = await browser.newPage({ viewport: { width: 1500, height: 1700 } })
  page.setDefaultTimeout(30_000)
  // Generous: on a loaded machine a full-page screenshot can take long.
  const shot = (name: string) => page.screenshot({ path: join(artifacts, name), timeout: 120_000 }).catch((error: unknown) => say(`screenshot ${name} failed: ${String(error)}`))
  try {
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`, { timeout: 60_000 })
    await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 })
    // The secondary side bar stays empty here; closed, the editors and the terminal get its width.
    await commandPalette(page, "View: Close Secondary Side Bar").catch(() => page.keyboard.press("Escape"))

    const viewsUp = await check("the aixfx views list this repository's example workflows by name", async () => {
      // The views fill once the extension host is up and the workspace searched (10–20 s when the
      // machine is idle, minutes when it is loaded); keep asking until then.
      const deadline = Date.now() + 360_000
      for (;;) {
        await commandPalette(page, "aixfx: Focus on Workflows View")
        try {
          await row(page, "nested-patterns").waitFor({ timeout: 10_000 })
          break
        } catch (error) {
          if (Date.now() > deadline) throw error
          await page.keyboard.press("Escape")
        }
      }
      // The path is in the hover, not in the row.
      if ((await row(page, "nested-patterns").innerText()).includes("examples/")) throw new Error("the Workflows row repeats its path")
      await assertNothingClipped(page, "Workflows")
    })
    await shot("workflows.png")
    if (!viewsUp) return
    // Room for the Runs, Trace and Span Details views.
    await page.locator(".pane-header", { hasText: "Workflows" }).first().click()

    await check("the Runs view shows the receiver's address", async () => {
      await page.locator(".pane-header", { hasText: "Runs" }).filter({ hasText: /receiver 127\.0\.0\.1:\d+/ }).first().waitFor({ timeout: 10_000 })
    })

    await check("nested-patterns (a real example): readable trace at the default width, wrapper chains folded (the toggle shows and folds them)", async () => {
      await runFromPalette(page, "nested-patterns")
      await runRow(page, "nested-patterns", "pass").waitFor({ timeout: 180_000 })
      await labelRow(page, "lead").first().waitFor({ timeout: 30_000 })
      // agent.call lead → invoke_agent lead → invoke_agent lead → chat is two rows: the agent, then its model call.
      const rows = await traceRows(page)
      const lead = rows.findIndex(([, name]) => name === "lead")
      const [level] = rows[lead]!
      if (rows[lead + 1]?.[1] !== "local-heuristic-1" || rows[lead + 1]?.[0] !== level + 1) throw new Error(`the lead's wrappers are not folded: ${JSON.stringify(rows.slice(lead, lead + 3))}`)
      await assertNothingClipped(page, "Runs and Trace")
      // The toggle shows the wrapper spans (the lead's model call is then deeper), and folds them again.
      await commandPalette(page, "aixfx: Show Runtime Wrapper Spans")
      const unfoldedDepth = async () => {
        const all = await traceRows(page)
        return (all.find(([, name]) => name === "local-heuristic-1")?.[0] ?? 0) - (all.find(([, name]) => name === "lead")?.[0] ?? 0)
      }
      for (const deadline = Date.now() + 15_000; (await unfoldedDepth()) < 2; await page.waitForTimeout(250)) {
        if (Date.now() > deadline) throw new Error(`Show Runtime Wrapper Spans did not show them: ${JSON.stringify((await traceRows(page)).slice(0, 8))}`)
      }
      await commandPalette(page, "aixfx: Fold Runtime Wrapper Spans")
      for (const deadline = Date.now() + 15_000; (await unfoldedDepth()) !== 1; await page.waitForTimeout(250)) {
        if (Date.now() > deadline) throw new Error("Fold Runtime Wrapper Spans did not fold them again")
      }
    })
    await shot("views.png")

    await check("one duration per run: the Runs row, the trace root and the terminal's cost table show the same time (nested-patterns)", async () => {
      const lines = await terminalLines(page)
      const tableRow = lines.map((line) => /^run nested-patterns \([0-9a-f]{8}\)\s.*\s(\d+) ms$/.exec(line)).find((match) => match !== null)
      if (tableRow === undefined) throw new Error(`no run row in the terminal's cost table: ${JSON.stringify(lines.slice(-20))}`)
      const terminalMs = Number(tableRow![1])
      const runsRow = (await runRow(page, "nested-patterns", "pass").locator(".label-description").innerText()).trim()
      const [root] = await traceRows(page)
      if (root === undefined || root[1] !== "nested-patterns") throw new Error(`the trace's root is ${JSON.stringify(root)}`)
      if (runsRow !== root[2]) throw new Error(`Runs row says ${runsRow}, trace root says ${root[2]}`)
      // The terminal prints whole ms; the views round to their own step (1 ms, or 10 ms from a second up).
      const shown = shownDuration(runsRow)
      if (Math.abs(shown.ms - terminalMs) > shown.within + 1) throw new Error(`the views say ${runsRow}, the terminal's cost table ${terminalMs} ms`)
    })

    let timeline: Frame | undefined
    await check("the timeline: time axis, legend, one bar per folded node, search, filters by agent / model / errors, sticky header", async () => {
      await commandPalette(page, "aixfx: Open Trace Timeline")
      const frame = await webviewFrame(page, "#chart .bar", 30_000)
      const bars = await frame.locator("#chart .bar").count()
      if (bars !== 51) throw new Error(`expected 51 bars (79 spans, wrapper chains folded), saw ${bars}`)
      if ((await frame.locator("#axis .tick").count()) < 3) throw new Error("no time axis")
      const legend = await frame.locator("#legend").innerText()
      for (const kind of ["pattern", "model", "failed here"]) if (!legend.includes(kind)) throw new Error(`legend lacks ${kind}: ${legend}`)
      await frame.locator("#search").fill("critic")
      const shown = await frame.locator("#chart .row:not(.hidden)").count()
      if (shown === 0 || shown >= bars) throw new Error(`search "critic" shows ${shown} of ${bars} rows`)
      await frame.locator("#search").fill("")
      const visibleLabels = () => frame.locator("#chart .row:not(.hidden) .label").allInnerTexts()
      // Filters: by agent (its spans), by model (its 9 model calls), errors only (none in this run).
      await frame.locator("#agent").selectOption("critic")
      const critic = await visibleLabels()
      if (critic.length === 0 || critic.length >= bars || !critic.some((label) => label.includes("critic"))) throw new Error(`agent filter "critic" shows ${JSON.stringify(critic)}`)
      await frame.locator("#agent").selectOption("")
      await frame.locator("#model").selectOption({ index: 1 })
      const models = await visibleLabels()
      if (models.length !== 9 || models.some((label) => !label.includes("local-heuristic-1"))) throw new Error(`model filter shows ${JSON.stringify(models)}`)
      await frame.locator("#model").selectOption("")
      await frame.locator("#errors-only").check()
      if ((await visibleLabels()).length !== 0) throw new Error("errors only shows rows of a run without errors")
      await frame.locator("#errors-only").uncheck()
      if ((await visibleLabels()).length !== bars) throw new Error("clearing the filters does not show every row again")
      // The header (tools, legend, time axis) stays at the top while the rows scroll under it.
      const sticky = await frame.evaluate(() => {
        window.scrollTo(0, 600)
        const result = { scrolled: window.scrollY, headerTop: document.getElementById("top")!.getBoundingClientRect().top, axisTop: document.getElementById("axis")!.getBoundingClientRect().top }
        window.scrollTo(0, 0)
        return result
      })
      if (sticky.scrolled < 100 || Math.abs(sticky.headerTop) > 1 || sticky.axisTop < 0) throw new Error(`the header does not stay on top: ${JSON.stringify(sticky)}`)
      timeline = frame
    })
    await shot("timeline.png")

    await check("the timeline zooms (the axis gets finer), pans (the axis moves) and collapses a subtree (its bars hide)", async () => {
      if (timeline === undefined) throw new Error("needs the timeline")
      const frame = timeline
      const axis = () =>
        frame.evaluate(() => {
          const viewport = document.getElementById("axis-viewport")!
          const ticks = [...document.querySelectorAll<HTMLElement>("#axis .tick")]
          return { width: document.getElementById("axis")!.getBoundingClientRect().width, viewport: viewport.clientWidth, scrollLeft: viewport.scrollLeft, second: ticks[1]?.textContent ?? "", ticks: ticks.length }
        })
      const fit = await axis()
      await frame.locator("#zoom-in").click()
      await frame.locator("#zoom-in").click()
      if ((await frame.locator("#zoom-level").innerText()) !== "400%") throw new Error(`zoom level ${await frame.locator("#zoom-level").innerText()}`)
      const zoomed = await axis()
      if (Math.abs(zoomed.width / zoomed.viewport - 4) > 0.05) throw new Error(`zoomed axis is ${zoomed.width} px for a ${zoomed.viewport} px view`)
      if (zoomed.second === fit.second || zoomed.ticks <= fit.ticks) throw new Error(`the axis did not get finer: ${JSON.stringify({ fit, zoomed })}`)
      // Pan: Shift+wheel over the bars moves the axis and every track together.
      await frame.locator("#chart .viewport").first().hover()
      await page.keyboard.down("Shift")
      await page.mouse.wheel(0, 400)
      await page.keyboard.up("Shift")
      await page.waitForTimeout(300)
      const panned = await axis()
      if (panned.scrollLeft <= 0) throw new Error(`pan did not move the axis: ${JSON.stringify(panned)}`)
      const tracks = await frame.evaluate(() => [...new Set([...document.querySelectorAll<HTMLElement>("#chart .row:not(.hidden) .viewport")].map((viewport) => viewport.scrollLeft))])
      if (tracks.length !== 1 || Math.abs(tracks[0]! - panned.scrollLeft) > 1) throw new Error(`the tracks did not pan with the axis: ${JSON.stringify(tracks)} vs ${panned.scrollLeft}`)
      await frame.locator("#zoom-reset").click()
      if ((await axis()).scrollLeft !== 0) throw new Error("fit did not reset the pan")
      // Collapse: the rows under the second node with children (deeper indentation, up to the next row as shallow) hide; the node stays.
      const rows = () => frame.evaluate(() => [...document.querySelectorAll<HTMLElement>("#chart .row")].map((row) => ({ depth: parseFloat(row.querySelector<HTMLElement>(".label")!.style.paddingLeft), hidden: row.classList.contains("hidden"), toggle: row.querySelector(".toggle")?.textContent ?? "" })))
      const before = await rows()
      const target = before.map((row, index) => ({ ...row, index })).filter((row) => row.toggle === "▾")[1]
      if (target === undefined) throw new Error("no nested node to collapse")
      let end = target.index + 1
      while (end < before.length && before[end]!.depth > target.depth) end++
      await frame.locator("#chart .row").nth(target.index).locator(".toggle").click()
      const after = await rows()
      const wrong = after.flatMap((row, index) => (row.hidden !== (before[index]!.hidden || (index > target.index && index < end)) ? [index] : []))
      if (end - target.index - 1 === 0 || wrong.length > 0) throw new Error(`collapsing row ${target.index} (subtree ${target.index + 1}..${end - 1}) hid the wrong rows: ${JSON.stringify(wrong)}`)
      if (after[target.index]!.toggle !== "▸") throw new Error("the collapsed node does not show ▸")
      await shot("timeline-collapsed.png")
      await frame.locator("#chart .row").nth(target.index).locator(".toggle").click()
      if (JSON.stringify((await rows()).map((row) => row.hidden)) !== JSON.stringify(before.map((row) => row.hidden))) throw new Error("expanding did not show the subtree again")
    })

    await check("Replay Model Call: the lead's chat prompt opens as a chat, is edited and runs again on the same model: output, tokens, cost", async () => {
      await labelRow(page, "local-heuristic-1").first().click()
      await row(page, "prompt", "messages").waitFor({ timeout: 15_000 })
      await commandPalette(page, "aixfx: Replay Model Call")
      await page.locator(".monaco-editor .view-lines", { hasText: "## system" }).first().waitFor({ timeout: 90_000 })
      await page.locator(".tab.active", { hasText: "Replay on local:local-heuristic-1" }).waitFor({ timeout: 90_000 })
      // Edit the prompt: the user's message (the last line) asks for the costs part only.
      await page.locator(".monaco-editor .view-lines", { hasText: "## system" }).first().click()
      await page.keyboard.press("Control+End")
      await page.keyboard.press("ArrowUp")
      await page.keyboard.press("Control+L")
      await page.keyboard.type("Explain how the router keeps model costs low.\n")
      await page.locator(".monaco-editor .view-lines", { hasText: "## user" }).filter({ hasNotText: "reflection improves" }).first().waitFor({ timeout: 15_000 })
      await commandPalette(page, "aixfx: Run Replay")
      const output = page.locator(".monaco-editor .view-lines", { hasText: "Replay output (local:local-heuristic-1)" }).first()
      await output.waitFor({ timeout: 180_000 })
      const text = (await output.innerText()).replace(/\s+/g, " ")
      if (!/\d+ tok in · \d+ tok out · \$/.test(text)) throw new Error(`the replay shows no tokens and cost: ${text}`)
      // The answer follows the edited prompt: the costs part, not the quality part the run asked for.
      if (!text.includes("router keeps model costs low") || text.includes("reflection improves")) throw new Error(`the replay did not answer the edited prompt: ${text}`)
    })
    await shot("replay.png")

    await check("refund-desk fails: only the span where it failed is marked, Go to First Failure selects it", async () => {
      await runFromPalette(page, "refund-desk")
      await runRow(page, "refund-desk", "error").waitFor({ timeout: 180_000 })
      await commandPalette(page, "aixfx: Go to First Failure")
      const selected = labelRow(page, "refunds").and(page.locator("[aria-selected='true']")).first()
      await selected.waitFor({ timeout: 15_000 })
      if ((await selected.locator(".codicon-error").count()) !== 1) throw new Error("the failing span has no error mark")
      if (!(await selected.innerText()).includes("failed here")) throw new Error("the failing span does not say it failed here")
      // Only the failing span; the ancestors that propagated the failure keep their own icons.
      const marked = await page.evaluate(() => {
        const pane = [...document.querySelectorAll<HTMLElement>(".part.sidebar .pane")].find((candidate) => candidate.querySelector(".pane-header")?.textContent?.includes("Trace"))
        return [...(pane?.querySelectorAll<HTMLElement>(".monaco-list-row[role='treeitem']") ?? [])].filter((row) => row.querySelector(".codicon-error") !== null).map((row) => row.querySelector(".label-name")?.textContent ?? "")
      })
      if (JSON.stringify(marked) !== JSON.stringify(["refunds"])) throw new Error(`error mark on trace rows: ${JSON.stringify(marked)}`)
      // The error's message reads in Span Details at the default width: wrapped into rows, none cut off.
      await row(page, "has no invoice").waitFor({ timeout: 15_000 })
      await assertNothingClipped(page, "Trace and error of a failed run")
    })
    await shot("failure.png")

    await check("a stack link in Span Details opens the workflow at the failing line", async () => {
      await row(page, "at lookUpLedger", "refund-desk.ts:11").click()
      await page.locator(".tab.active", { hasText: "refund-desk.ts" }).waitFor({ timeout: 60_000 })
      await page.locator(".statusbar-item", { hasText: /Ln 11, Col 67/ }).first().waitFor({ timeout: 60_000 })
    })
    await shot("stack-link.png")

    let liveSeen = false
    await check("a live run (slow-review) shows its running span with a ticking clock before it ends", async () => {
      await commandPalette(page, "aixfx: Focus on Runs View")
      await runFromPalette(page, "slow-review")
      const running = labelRow(page, "publisher").filter({ has: page.locator(".codicon-loading") }).first()
      await running.waitFor({ timeout: 120_000 })
      const first = await running.locator(".label-description").innerText()
      await page.waitForTimeout(2_000)
      // Still the running row (its spinner), with a later figure: the clock ticks while the span is open.
      const later = await running.locator(".label-description").innerText({ timeout: 5_000 })
      if (later === first) throw new Error(`the clock did not move: ${first}`)
      // The Runs row and the trace's root tick together: one clock per run (the views redraw at one instant).
      const clocks = async () => [(await runRow(page, "slow-review", "sync").locator(".label-description").innerText()).trim(), (await traceRows(page))[0]?.[2] ?? ""] as const
      const deadline = Date.now() + 10_000
      for (let seen = await clocks(); seen[0] !== seen[1]; seen = await clocks()) {
        if (Date.now() > deadline) throw new Error(`the Runs row says ${seen[0]}, the trace's root ${seen[1]}`)
        await page.waitForTimeout(100)
      }
      liveSeen = true
      await shot("live.png")
      await runRow(page, "slow-review", "pass").waitFor({ timeout: 60_000 })
    })

    await check("Compare Runs: two runs of slow-review differ in the reviewer's output", async () => {
      if (!liveSeen) throw new Error("needs the first slow-review run")
      await runFromPalette(page, "slow-review")
      await page.waitForTimeout(1_000)
      await page.locator(".monaco-list-row[role='treeitem']", { hasText: "slow-review" }).filter({ has: page.locator(".codicon-pass") }).nth(0).waitFor()
      // Both runs finished: the Runs view then has two slow-review rows with a pass icon.
      const deadline = Date.now() + 120_000
      while ((await page.locator(".monaco-list-row[role='treeitem']", { hasText: "slow-review" }).filter({ has: page.locator(".codicon-pass") }).count()) < 2) {
        if (Date.now() > deadline) throw new Error("the second slow-review run did not finish")
        await page.waitForTimeout(500)
      }
      // Compare Runs takes the selected run (the newest) and asks for the other one.
      await commandPalette(page, "aixfx: Compare Runs")
      await page.locator(".quick-input-list .monaco-list-row", { hasText: "slow-review" }).first().waitFor({ timeout: 30_000 })
      await page.locator(".quick-input-widget input").fill("slow-review")
      await page.waitForTimeout(500)
      await page.keyboard.press("Enter")
      const frame = await webviewFrame(page, "#compare", 30_000)
      const changed = await frame.locator("tr.differs", { hasText: "local-heuristic-1" }).first().innerText()
      if (!changed.includes("output")) throw new Error(`the reviewer's chat step is not flagged as changed: ${changed}`)
      // Both runs' outputs of that step are on screen, highlighted, and the table fits the panel (nothing to scroll sideways to).
      const shown = await frame.evaluate(() => {
        const changedOutputs = [...document.querySelectorAll<HTMLElement>("tr.differs td.output.changed")].filter((td) => td.getBoundingClientRect().width > 0)
        return { outputs: changedOutputs.length, overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth }
      })
      if (shown.outputs < 2 || shown.overflow > 1) throw new Error(`compare page: ${JSON.stringify(shown)}`)
    })
    await shot("compare.png")

    await check("a suspended durable run: Durable Runs and its Runs row show what it waits for (payload in the hover); Approve with Edited Payload edits it as JSON and the run goes on with the edit", async () => {
      await commandPalette(page, "aixfx: Focus on Durable Runs View")
      await runFromPalette(page, "approval-wait")
      // The CLI takes seconds per call on a loaded machine; the view lists the run once the runner has written it.
      const waiting = row(page, "e2e-", "awaiting publish")
      await waiting.waitFor({ timeout: 300_000 })
      await assertNothingClipped(page, "Durable Runs")
      await waiting.locator(".label-name").hover()
      await page.locator(".monaco-hover", { hasText: "Durable runs" }).first().waitFor({ timeout: 30_000 })
      await shot("durable-suspended.png")
      await page.mouse.move(0, 0)
      // The run's own row in the Runs view says so too, and offers the decisions.
      const runWaiting = row(page, "approval-wait", "awaiting publish").filter({ has: page.locator(".codicon-debug-pause") })
      await runWaiting.waitFor({ timeout: 60_000 })
      await runWaiting.hover()
      for (const action of ["Approve", "Reject"]) await runWaiting.locator(`.action-label[aria-label='${action}']`).waitFor({ timeout: 15_000 })
      await shot("runs-awaiting.png")
      // Approve with Edited Payload (from the Runs row): the payload opens as JSON in an input box; the run continues with the edit.
      const input = page.locator(".quick-input-widget input")
      for (let attempt = 1; ; attempt++) {
        await runWaiting.hover()
        await runWaiting.locator(".action-label[aria-label='Approve with Edited Payload']").click()
        try {
          await input.waitFor({ state: "visible", timeout: 20_000 })
          break
        } catch (error) {
          if (attempt === 3) throw error
        }
      }
      const asked = JSON.parse(await input.inputValue()) as { title: string; body: string }
      if (asked.title !== "Durable runs" || asked.body === "") throw new Error(`the input box holds ${JSON.stringify(asked)}`)
      await input.fill("{ not json")
      await page.locator(".quick-input-widget", { hasText: "Not JSON" }).first().waitFor({ timeout: 15_000 })
      await input.fill(JSON.stringify({ ...asked, title: "Edited in the e2e" }))
      await shot("durable-edit-payload.png")
      await page.keyboard.press("Enter")
      await row(page, "e2e-", "done").filter({ has: page.locator(".codicon-pass") }).waitFor({ timeout: 300_000 })
      await runRow(page, "approval-wait", "pass").waitFor({ timeout: 120_000 })
      // The run published what was approved: the edited title (its terminal is the active one, the last run started).
      const lines = await terminalLines(page)
      if (!lines.some((line) => line.startsWith("Published: Edited in the e2e: "))) throw new Error(`the run did not publish the edited payload: ${JSON.stringify(lines.slice(-12))}`)
    })
    await shot("durable-approved.png")
  } finally {
    await page.screenshot({ path: join(artifacts, "ui-last.png"), timeout: 120_000 }).catch(() => undefined)
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
        timer = setTimeout(() => reject(new Error("the extension-host tests did not finish within 360 s")), 360_000)
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
  await check("the .vsix holds the minified bundle, media, manifest, README and LICENSE only: no sources, no source maps", async () => {
    const entries = zipEntries(vsix).filter((name) => name.startsWith("extension/"))
    const expected = ["LICENSE.txt", "dist/extension.cjs", "dist/timeline.js", "media/aixfx.svg", "media/icon.png", "media/timeline.css", "package.json", "readme.md"].map((name) => `extension/${name}`)
    if (JSON.stringify([...entries].sort()) !== JSON.stringify(expected)) throw new Error(`packaged: ${entries.join(", ")}`)
  })
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
  for (const dir of [...Object.values(dirs), join(tmp, "durable")]) mkdirSync(dir, { recursive: true })
  const fixture = join(extensionDir, "test", "e2e", "fixture-workspace")
  // The UI phase opens this repository itself and runs its real example workflows; the
  // extension-host tests run in a copy of the small fixture workspace.
  const workspaces = { ui: repositoryRoot, host: join(tmp, "workspace-host") }
  cpSync(fixture, workspaces.host, { recursive: true })
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
      // xterm's DOM renderer, so the suite reads what a terminal shows.
      "terminal.integrated.gpuAcceleration": "off",
      "terminal.integrated.fontSize": 11,
      "aixfx.captureContent": true,
      // Outside the repository the UI phase opens: the approval run's store.
      "aixfx.durable.store": join(tmp, "durable", "runs.db")
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
