/**
 * The extension's entry point: wires the receiver and run store (plain Node, unit-tested) to the
 * views, commands, terminal and timeline (the VS Code side). Returns a small API that the
 * extension-host tests read.
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { basename, dirname, join } from "node:path"
import * as vscode from "vscode"
import { chatMarkdown, parseChat, parseChatMarkdown } from "../Chat.js"
import { formatCost, formatTokens } from "../Format.js"
import { RUNNER_SCRIPT, type ReplayRequest, type ReplayResult, findAixfxInstall, parseReplayOutput, replayRequest } from "../Replay.js"
import { compareHtml, compareRuns } from "../Compare.js"
import type { DetailRow } from "../Presentation.js"
import type { SourceLink } from "../SourceLinks.js"
import type { SpanRecord } from "../Span.js"
import { type Receiver, startReceiver } from "../Receiver.js"
import { type Run, type RunSnapshot, RunStore } from "../RunStore.js"
import { type DurableRun, storePath } from "../DurableRuns.js"
import { decodeTraceFile, encodeTraceFile } from "../TraceFile.js"
import { TraceTrees } from "../TraceTrees.js"
import { type TraceNode, type TraceTree, firstFailure, runningNodes, traceRunIds } from "../TraceTree.js"
import { type Launched } from "../Launcher.js"
import { type Workflow, launchCommand, makeWorkflow, runEnvironment } from "../Workflows.js"
import { DetailsView } from "./DetailsView.js"
import { DurableRunsView } from "./DurableRunsView.js"
import { startRunTerminal } from "./RunTerminal.js"
import { RunsView } from "./RunsView.js"
import { SECTION, readSettings } from "./Settings.js"
import { TimelinePanel } from "./TimelinePanel.js"
import { TraceView } from "./TraceView.js"
import { WorkflowCodeLens } from "./WorkflowCodeLens.js"
import { WorkflowsView } from "./WorkflowsView.js"

const STATE_KEY = "aixfx.runs"
const EXPORT_DIR_KEY = "aixfx.exportDir"
const MAX_BODY_BYTES = 64 * 1024 * 1024
const MAX_SPANS_PER_RUN = 20_000

export interface AixfxApi {
  readonly receiverEndpoint: () => string | undefined
  readonly runs: () => ReadonlyArray<Run>
  readonly tree: (runId: string) => TraceTree
  readonly selectedRunId: () => string | undefined
  readonly workflows: () => ReadonlyArray<Workflow>
  readonly foldingWrappers: () => boolean
  readonly durableStore: () => string
  readonly durableRuns: () => ReadonlyArray<DurableRun>
  readonly refreshDurableRuns: () => Promise<void>
}

/** A prompt opened for replay: its document and the model call it came from. */
interface ReplayDraft {
  readonly request: ReplayRequest
  /** Where to look for the workspace's aixfx install (the run's workflow, or the workspace). */
  readonly from: string
}

export const activate = async (context: vscode.ExtensionContext): Promise<AixfxApi> => {
  let settings = readSettings()
  const store = new RunStore({ maxRuns: settings.maxRuns, maxSpansPerRun: MAX_SPANS_PER_RUN })
  store.restore(context.workspaceState.get<ReadonlyArray<RunSnapshot>>(STATE_KEY) ?? [])
  const trees = new TraceTrees(store)
  const launches = new Map<string, Launched>()
  let selectedRunId: string | undefined = store.runs()[0]?.id

  const workflowsView = new WorkflowsView(() => settings.workflowGlobs)
  /** The durable run a run of this window is (its spans carry the durable run's id), as the Durable Runs view last listed it. */
  const durableRunOf = (run: Run): DurableRun | undefined => {
    const ids = traceRunIds(trees.get(run.id))
    return durableView.list().find((durable) => ids.includes(durable.runId))
  }
  const runsView = new RunsView(store, trees, (run) => durableRunOf(run)?.awaiting.map((approval) => approval.name) ?? [])
  const traceView = new TraceView()
  const detailsView = new DetailsView()
  const workspaceRoot = (): string | undefined => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath
  const durableStore = (): string => storePath(settings.durableStore, process.env, workspaceRoot() ?? process.cwd())
  const durableView = new DurableRunsView({
    root: workspaceRoot,
    store: durableStore,
    searchFrom: () => [...new Set(workflowsView.list().map((workflow) => dirname(workflow.path)))]
  })
  // A run of this window that is a durable run shows what it waits for in its Runs row.
  context.subscriptions.push(durableView.onDidChangeTreeData(() => runsView.refresh()))
  const codeLens = new WorkflowCodeLens(
    (path) => workflowsView.find(path),
    (uri) => drafts.get(uri)?.request.model
  )
  const runsTree = vscode.window.createTreeView("aixfx.runs", { treeDataProvider: runsView })
  const traceTree = vscode.window.createTreeView("aixfx.trace", { treeDataProvider: traceView })
  const timeline = new TimelinePanel(context.extensionUri, (key) => {
    const node = traceView.node(key)
    if (node !== undefined) void traceTree.reveal(node, { select: true, focus: false, expand: true })
  })
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider("aixfx.workflows", workflowsView),
    vscode.window.registerTreeDataProvider("aixfx.details", detailsView),
    vscode.languages.registerCodeLensProvider([{ scheme: "file", language: "typescript" }, { scheme: "file", language: "javascript" }, { scheme: "untitled", language: "markdown" }], codeLens),
    runsTree,
    traceTree,
    workflowsView,
    runsView,
    traceView,
    detailsView,
    durableView,
    codeLens,
    timeline
  )

  const showSelectedRun = (now = Date.now()): void => {
    const run = selectedRunId === undefined ? undefined : store.run(selectedRunId)
    const tree = run === undefined ? { roots: [], byKey: new Map() } : trees.get(run.id)
    traceView.show(tree, now)
    traceTree.description = run?.label ?? ""
    traceTree.message = run === undefined ? "Select a run to see its trace." : tree.roots.length === 0 ? "No spans received yet." : ""
    if (run !== undefined) timeline.update(run, tree)
  }
  const selectRun = (runId: string): void => {
    selectedRunId = runId
    detailsView.show(undefined)
    showSelectedRun()
  }

  // Spans can arrive hundreds a second; the views redraw at most every 250 ms, state saves every 2 s.
  let redraw: NodeJS.Timeout | undefined
  let save: NodeJS.Timeout | undefined
  const persist = () => context.workspaceState.update(STATE_KEY, store.snapshot())
  const unsubscribe = store.onDidChange(() => {
    redraw ??= setTimeout(() => {
      redraw = undefined
      if (selectedRunId !== undefined && store.run(selectedRunId) === undefined) selectedRunId = store.runs()[0]?.id
      const now = Date.now()
      runsView.refresh(now)
      showSelectedRun(now)
    }, 250)
    save ??= setTimeout(() => {
      save = undefined
      void persist()
    }, 2_000)
  })

  // While a run goes on, its clocks tick: the views redraw every second even when no span arrives.
  const ticker = setInterval(() => {
    const live = store.runs().some((run) => run.status === "running") || (selectedRunId !== undefined && runningNodes(trees.get(selectedRunId)).length > 0)
    if (!live) return
    // A running durable run may have suspended (or been decided) since: read its store again when it changed.
    if (store.runs().some((run) => run.status === "running" && traceRunIds(trees.get(run.id)).length > 0)) void durableView.refreshIfChanged()
    // One instant for both views, so the Runs row and the trace's root show the same clock.
    const now = Date.now()
    runsView.refresh(now)
    // The whole tree: an element-only refresh did not redraw a running row in code-server 4.139.
    showSelectedRun(now)
  }, 1_000)

  let receiver: Receiver | undefined
  const startReceiverOrWarn = async (): Promise<void> => {
    try {
      receiver = await startReceiver({ port: settings.receiverPort, maxBodyBytes: MAX_BODY_BYTES, onSpans: (runId, spans) => store.addSpans(runId, spans) })
    } catch (error) {
      receiver = undefined
      void vscode.window.showErrorMessage(`aixfx: the trace receiver could not listen on port ${settings.receiverPort}: ${String(error)}`)
    }
  }
  await startReceiverOrWarn()
  const showReceiver = (): void => {
    runsTree.description = receiver === undefined ? "receiver off" : `receiver 127.0.0.1:${receiver.port}`
  }
  showReceiver()

  const pickWorkflow = async (): Promise<Workflow | undefined> => {
    const workflows = await workflowsView.refresh()
    if (workflows.length === 0) {
      void vscode.window.showWarningMessage("aixfx: no workflows found (see the aixfx.workflows.globs setting).")
      return undefined
    }
    const picked = await vscode.window.showQuickPick(
      workflows.map((workflow) => ({ label: workflow.name, description: workflow.relativePath, workflow })),
      { title: "Run Workflow", placeHolder: "Workflow to run" }
    )
    return picked?.workflow
  }

  /** Runs whose end was asked for: their exit counts as "stopped", not "failed". */
  const stopping = new Set<string>()
  const runWorkflow = async (target?: Workflow | vscode.Uri): Promise<string | undefined> => {
    const workflow = target instanceof vscode.Uri ? workflowFromUri(target) : (target ?? (await pickWorkflow()))
    if (workflow === undefined) return undefined
    let command
    try {
      command = launchCommand(workflow, existsSync)
    } catch (error) {
      void vscode.window.showErrorMessage(`aixfx: ${error instanceof Error ? error.message : String(error)}`)
      return undefined
    }
    if (receiver === undefined) void vscode.window.showWarningMessage("aixfx: running without a trace receiver; no spans will show.")
    const run = store.startProcessRun(workflow.name, workflow.path)
    const env = runEnvironment(process.env, { endpoint: receiver?.endpoint(run.id) ?? "http://127.0.0.1:9", captureContent: settings.captureContent, durableStore: durableStore() })
    const { launched, terminal } = startRunTerminal(`aixfx: ${workflow.name}`, command, workflow.workspaceRoot, env)
    terminal.show(true)
    launches.set(run.id, launched)
    selectRun(run.id)
    void launched.exited.then(({ code }) => {
      launches.delete(run.id)
      const stopped = store.run(run.id)?.status === "running" && stopping.has(run.id)
      stopping.delete(run.id)
      store.finishRun(run.id, stopped ? "stopped" : code === 0 ? "succeeded" : "failed", code)
    })
    return run.id
  }

  /** A decision's run: a Durable Runs row or id as given; a Runs row stands for its durable run. */
  const durableArgument = (arg: DurableRun | Run | string | undefined): DurableRun | string | undefined =>
    typeof arg === "object" && !("runId" in arg) ? durableRunOf(arg) : arg

  const runArgument = (arg: Run | string | undefined): Run | undefined => {
    const id = typeof arg === "string" ? arg : (arg?.id ?? selectedRunId)
    return id === undefined ? undefined : store.run(id)
  }

  const stopRun = async (arg?: Run | string): Promise<void> => {
    let run = runArgument(arg)
    if (run === undefined || !launches.has(run.id)) {
      const running = store.runs().filter((candidate) => launches.has(candidate.id))
      if (running.length === 0) {
        void vscode.window.showInformationMessage("aixfx: no run is going on.")
        return
      }
      run = running.length === 1 ? running[0] : (await vscode.window.showQuickPick(running.map((r) => ({ label: r.label, description: r.id, run: r })), { title: "Stop Run" }))?.run
    }
    const launched = run === undefined ? undefined : launches.get(run.id)
    if (run === undefined || launched === undefined) return
    stopping.add(run.id)
    await launched.stop()
  }

  const openTimeline = (arg?: Run | string): void => {
    const run = runArgument(arg)
    if (run === undefined) {
      void vscode.window.showInformationMessage("aixfx: select a run first.")
      return
    }
    if (run.id !== selectedRunId) selectRun(run.id)
    timeline.show(run, trees.get(run.id))
  }

  const exportTrace = async (arg?: Run | string, target?: vscode.Uri): Promise<vscode.Uri | undefined> => {
    const run = runArgument(arg)
    if (run === undefined) {
      void vscode.window.showInformationMessage("aixfx: select a run first.")
      return undefined
    }
    // The folder used last, else the home folder: never the repository, where a trace would be committed by accident.
    const folder = vscode.Uri.file(context.globalState.get<string>(EXPORT_DIR_KEY) ?? homedir())
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        title: "Export Trace",
        filters: { "Trace (OTLP JSON)": ["json"] },
        defaultUri: vscode.Uri.joinPath(folder, `${run.label.replace(/[^\w.-]+/g, "-")}.trace.json`)
      }))
    if (uri === undefined) return undefined
    if (target === undefined) await context.globalState.update(EXPORT_DIR_KEY, dirname(uri.fsPath))
    await writeFile(uri.fsPath, `${JSON.stringify(encodeTraceFile(run, store.spans(run.id)), null, 2)}\n`)
    return uri
  }

  const importTrace = async (source?: vscode.Uri): Promise<string | undefined> => {
    const uri = source ?? (await vscode.window.showOpenDialog({ title: "Import Trace", canSelectMany: false, filters: { "Trace or OTLP JSON": ["json"] } }))?.[0]
    if (uri === undefined) return undefined
    try {
      const imported = decodeTraceFile(JSON.parse(await readFile(uri.fsPath, "utf8")), basename(uri.fsPath))
      const run = store.importRun(imported.label, imported.spans)
      selectRun(run.id)
      return run.id
    } catch (error) {
      void vscode.window.showErrorMessage(`aixfx: ${basename(uri.fsPath)} is not a trace or OTLP JSON file: ${error instanceof Error ? error.message : String(error)}`)
      return undefined
    }
  }

  /** A prompt or output as a chat transcript (Markdown); other values pretty-printed when JSON. */
  const showSpanContent = async (row: DetailRow): Promise<void> => {
    const messages = parseChat(row.value)
    let content = row.value
    let language = "plaintext"
    if (messages !== undefined) {
      content = chatMarkdown(row.label, messages)
      language = "markdown"
    } else {
      try {
        content = JSON.stringify(JSON.parse(row.value), null, 2)
        language = "json"
      } catch {
        // Not JSON: shown as captured.
      }
    }
    const document = await vscode.workspace.openTextDocument({ content, language })
    await vscode.window.showTextDocument(document, { preview: true })
  }

  const openSource = async (link: SourceLink): Promise<vscode.TextEditor> => {
    const position = new vscode.Position(Math.max(0, link.line - 1), Math.max(0, link.column - 1))
    return vscode.window.showTextDocument(vscode.Uri.file(link.path), { selection: new vscode.Range(position, position), preview: true })
  }

  /** Selects the span where the selected run first failed, and shows its details. */
  const revealFirstFailure = async (): Promise<TraceNode | undefined> => {
    const tree = selectedRunId === undefined ? undefined : trees.get(selectedRunId)
    const failure = tree === undefined ? undefined : firstFailure(tree)
    if (failure === undefined) {
      void vscode.window.showInformationMessage("aixfx: the selected run has no failed span.")
      return undefined
    }
    await traceTree.reveal(failure, { select: true, focus: true, expand: true })
    detailsView.show(failure.span)
    timeline.select(failure.key)
    return failure
  }

  const setFolding = async (fold: boolean): Promise<void> => {
    trees.setFolding(fold)
    await vscode.commands.executeCommand("setContext", "aixfx.wrappersShown", !fold)
    showSelectedRun()
  }

  /** Prompt documents opened by Replay Model Call, by document URI. */
  const drafts = new Map<string, ReplayDraft>()

  /** Opens the captured prompt of a chat span as an editable chat, ready to run again. */
  const replayModelCall = async (arg?: TraceNode | SpanRecord): Promise<vscode.TextDocument | undefined> => {
    const span = arg === undefined ? detailsView.current() : "span" in arg ? arg.span : arg
    const request = span === undefined ? undefined : replayRequest(span)
    if (request === undefined) {
      void vscode.window.showInformationMessage("aixfx: select a chat span with a captured prompt (the aixfx.captureContent setting) to replay it.")
      return undefined
    }
    const run = selectedRunId === undefined ? undefined : store.run(selectedRunId)
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd()
    const document = await vscode.workspace.openTextDocument({ content: chatMarkdown(`Replay on ${request.model}: edit the messages, then Run Replay`, request.messages), language: "markdown" })
    drafts.set(document.uri.toString(), { request, from: run?.workflowPath === undefined ? folder : dirname(run.workflowPath) })
    await vscode.window.showTextDocument(document, { preview: false })
    codeLens.refresh()
    return document
  }

  /** Sends the (edited) prompt through the same provider layer and shows the answer, tokens and cost. */
  const runReplay = async (target?: vscode.Uri): Promise<ReplayResult | undefined> => {
    const document = target === undefined ? vscode.window.activeTextEditor?.document : await vscode.workspace.openTextDocument(target)
    const draft = document === undefined ? undefined : drafts.get(document.uri.toString())
    if (document === undefined || draft === undefined) {
      void vscode.window.showInformationMessage("aixfx: open a prompt with Replay Model Call first.")
      return undefined
    }
    const root = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(draft.from))?.uri.fsPath ?? draft.from
    const install = findAixfxInstall(draft.from, root, existsSync)
    if (install === undefined) {
      void vscode.window.showErrorMessage(`aixfx: no @aixfx/providers (and tsx) installed in ${root}; the replay runs the workspace's own aixfx.`)
      return undefined
    }
    const messages = parseChatMarkdown(document.getText())
    const runner = join(install.dir, "node_modules", ".cache", "aixfx", "replay-model-call.mts")
    await mkdir(dirname(runner), { recursive: true })
    await writeFile(runner, RUNNER_SCRIPT)
    const stdout = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `aixfx: replaying on ${draft.request.model}…` }, () =>
      new Promise<string>((resolve) => {
        execFile(install.tsx, ["--conditions=@aixfx/source", runner], { cwd: install.dir, env: { ...process.env, AIXFX_REPLAY_REQUEST: JSON.stringify({ model: draft.request.model, messages }) }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (_error, out, err) => resolve(`${out}\n${err}`))
      })
    )
    let result: ReplayResult
    try {
      result = parseReplayOutput(stdout)
    } catch (error) {
      void vscode.window.showErrorMessage(`aixfx: replay on ${draft.request.model} failed: ${error instanceof Error ? error.message : String(error)}`)
      return undefined
    }
    const cost = result.costUsd === null ? "cost unknown" : formatCost(result.costUsd)
    const content = `# Replay output (${result.provider}:${result.model})\n\n${formatTokens(result.inputTokens)} in · ${formatTokens(result.outputTokens)} out · ${cost}\n\n## assistant\n\n${result.text}\n`
    const output = await vscode.workspace.openTextDocument({ content, language: "markdown" })
    await vscode.window.showTextDocument(output, { viewColumn: vscode.ViewColumn.Beside, preview: false })
    return result
  }

  /** Two runs side by side (the selected one and a picked one, or the two given). */
  const compare = async (first?: Run | string, second?: Run | string): Promise<vscode.WebviewPanel | undefined> => {
    const pick = async (title: string, except?: string): Promise<Run | undefined> => {
      const candidates = store.runs().filter((run) => run.id !== except)
      const picked = await vscode.window.showQuickPick(
        candidates.map((run) => ({ label: run.label, description: `${run.status} · ${new Date(run.startedMs).toLocaleTimeString()}`, run })),
        { title }
      )
      return picked?.run
    }
    // The first run is the one given, else the selected one.
    const a = runArgument(first) ?? (await pick("Compare runs: first run"))
    if (a === undefined) return undefined
    const b = (second === undefined ? undefined : runArgument(second)) ?? (await pick(`Compare ${a.label} with`, a.id))
    if (b === undefined) return undefined
    const panel = vscode.window.createWebviewPanel("aixfx.compare", `Compare: ${a.label} ↔ ${b.label}`, vscode.ViewColumn.Active, { enableScripts: false })
    const rows = compareRuns(trees.get(a.id), trees.get(b.id))
    const when = (run: Run) => `${run.label} (${new Date(run.startedMs).toLocaleTimeString()})`
    panel.webview.html = compareHtml(when(a), when(b), rows, panel.webview.cspSource)
    return panel
  }

  context.subscriptions.push(
    vscode.commands.registerCommand("aixfx.runWorkflow", runWorkflow),
    vscode.commands.registerCommand("aixfx.stopRun", stopRun),
    vscode.commands.registerCommand("aixfx.openTimeline", openTimeline),
    vscode.commands.registerCommand("aixfx.exportTrace", exportTrace),
    vscode.commands.registerCommand("aixfx.importTrace", importTrace),
    vscode.commands.registerCommand("aixfx.clearRuns", () => store.clear()),
    vscode.commands.registerCommand("aixfx.refreshWorkflows", () => workflowsView.refresh()),
    vscode.commands.registerCommand("aixfx.selectRun", (runId: string) => selectRun(runId)),
    vscode.commands.registerCommand("aixfx.showSpanContent", showSpanContent),
    vscode.commands.registerCommand("aixfx.openSource", openSource),
    vscode.commands.registerCommand("aixfx.revealFirstFailure", revealFirstFailure),
    vscode.commands.registerCommand("aixfx.showWrappers", () => setFolding(false)),
    vscode.commands.registerCommand("aixfx.foldWrappers", () => setFolding(true)),
    vscode.commands.registerCommand("aixfx.compareRuns", compare),
    vscode.commands.registerCommand("aixfx.replayModelCall", replayModelCall),
    vscode.commands.registerCommand("aixfx.runReplay", runReplay),
    vscode.commands.registerCommand("aixfx.refreshDurableRuns", () => durableView.refresh()),
    vscode.commands.registerCommand("aixfx.approveRun", (run?: DurableRun | Run | string, approval?: string, payload?: unknown) =>
      durableView.approve(durableArgument(run), { ...(approval === undefined ? {} : { approval }), ...(payload === undefined ? {} : { payload }) })
    ),
    vscode.commands.registerCommand("aixfx.approveRunEdited", (run?: DurableRun | Run | string, approval?: string) =>
      durableView.approve(durableArgument(run), { edit: true, ...(approval === undefined ? {} : { approval }) })
    ),
    vscode.commands.registerCommand("aixfx.rejectRun", (run?: DurableRun | Run | string, approval?: string, reason?: string) =>
      durableView.reject(durableArgument(run), { ...(approval === undefined ? {} : { approval }), ...(reason === undefined ? {} : { reason }) })
    ),
    vscode.workspace.onDidCloseTextDocument((document) => drafts.delete(document.uri.toString())),
    traceTree.onDidChangeSelection((event) => {
      const node: TraceNode | undefined = event.selection[0]
      detailsView.show(node?.span)
      if (node !== undefined) timeline.select(node.key)
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration(SECTION)) return
      const previous = settings
      settings = readSettings()
      store.setMaxRuns(settings.maxRuns)
      if (event.affectsConfiguration(`${SECTION}.workflows.globs`)) {
        workflowsView.watch()
        await workflowsView.refresh()
      }
      if (previous.receiverPort !== settings.receiverPort) {
        await receiver?.close()
        await startReceiverOrWarn()
        showReceiver()
      }
      if (event.affectsConfiguration(`${SECTION}.durable.store`)) void durableView.refresh()
    }),
    workflowsView.onDidChangeTreeData(() => codeLens.refresh()),
    {
      dispose: () => {
        unsubscribe()
        clearTimeout(redraw)
        clearInterval(ticker)
        clearTimeout(save)
        for (const launched of launches.values()) void launched.stop()
        void receiver?.close()
        void persist()
      }
    }
  )

  workflowsView.watch()
  await workflowsView.refresh()
  showSelectedRun()

  return {
    receiverEndpoint: () => receiver?.endpoint(),
    runs: () => store.runs(),
    tree: (runId) => trees.get(runId),
    selectedRunId: () => selectedRunId,
    workflows: () => workflowsView.list(),
    foldingWrappers: () => trees.folding,
    durableStore,
    durableRuns: () => durableView.list(),
    refreshDurableRuns: () => durableView.refresh()
  }

  function workflowFromUri(uri: vscode.Uri): Workflow | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri)
    return workflowsView.find(uri.fsPath) ?? (folder === undefined ? undefined : makeWorkflow(folder.uri.fsPath, vscode.workspace.asRelativePath(uri, false)))
  }
}
