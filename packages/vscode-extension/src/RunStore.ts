/**
 * Runs and their spans. A run is either one child process started by the extension (its spans
 * arrive on the receiver path that names the run) or, for spans from any other program, one trace
 * id. Spans are keyed by trace and span id, so a span sent twice is stored once (the later copy
 * wins: exporters resend a span only to complete it), except that an open span (a start notice)
 * never replaces a finished one.
 */
import { type SpanRecord, spanKey } from "./Span.js"

export type RunStatus = "running" | "succeeded" | "failed" | "stopped" | "interrupted" | "received" | "imported"

export type RunSource = "process" | "otlp" | "import"

export interface Run {
  readonly id: string
  readonly label: string
  readonly source: RunSource
  readonly status: RunStatus
  readonly startedMs: number
  readonly endedMs?: number
  readonly exitCode?: number
  /** The workflow file, for process runs. */
  readonly workflowPath?: string
  /** Spans refused because the run reached `maxSpansPerRun`. */
  readonly droppedSpans: number
}

export interface RunSnapshot {
  readonly run: Run
  readonly spans: ReadonlyArray<SpanRecord>
}

export interface RunStoreOptions {
  readonly maxRuns: number
  readonly maxSpansPerRun: number
  readonly now?: () => number
  readonly newId?: () => string
}

type Listener = (runId: string | undefined) => void

interface Entry {
  run: Run
  readonly spans: Map<string, SpanRecord>
  /** Insertion order: pruning drops the runs added longest ago. */
  readonly seq: number
}

export class RunStore {
  private readonly entries = new Map<string, Entry>()
  /** Trace id → the run that collects that trace's spans when no run path names one. */
  private readonly traceRuns = new Map<string, string>()
  private readonly listeners = new Set<Listener>()
  private seq = 0
  private readonly now: () => number
  private readonly newId: () => string
  private maxRuns: number

  constructor(private readonly options: RunStoreOptions) {
    this.now = options.now ?? Date.now
    this.newId = options.newId ?? (() => `run-${this.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`)
    this.maxRuns = options.maxRuns
  }

  /** Called with the run that changed, or undefined when the whole list changed. */
  onDidChange(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  setMaxRuns(maxRuns: number): void {
    this.maxRuns = maxRuns
    if (this.prune()) this.emit(undefined)
  }

  /** Newest first. */
  runs(): ReadonlyArray<Run> {
    return [...this.entries.values()].map((entry) => entry.run).sort((a, b) => b.startedMs - a.startedMs)
  }

  run(runId: string): Run | undefined {
    return this.entries.get(runId)?.run
  }

  spans(runId: string): ReadonlyArray<SpanRecord> {
    return [...(this.entries.get(runId)?.spans.values() ?? [])]
  }

  startProcessRun(label: string, workflowPath: string): Run {
    const run: Run = { id: this.newId(), label, source: "process", status: "running", startedMs: this.now(), workflowPath, droppedSpans: 0 }
    this.insert(run, [])
    return run
  }

  finishRun(runId: string, status: Exclude<RunStatus, "running">, exitCode?: number): void {
    const entry = this.entries.get(runId)
    if (entry === undefined || entry.run.status !== "running") return
    entry.run = { ...entry.run, status, endedMs: this.now(), ...(exitCode === undefined ? {} : { exitCode }) }
    this.emit(runId)
  }

  importRun(label: string, spans: ReadonlyArray<SpanRecord>): Run {
    const run: Run = { id: this.newId(), label, source: "import", status: "imported", ...extent(spans, this.now()), droppedSpans: 0 }
    this.insert(run, spans)
    return run
  }

  /**
   * Adds spans received for `runId` (a process run), or, when it names no known run, to the run of
   * each span's trace id (created on first sight). Returns the runs that changed.
   */
  addSpans(runId: string | undefined, spans: ReadonlyArray<SpanRecord>): ReadonlyArray<string> {
    const target = runId === undefined ? undefined : this.entries.get(runId)
    const changed = new Set<string>()
    for (const span of spans) {
      const entry = target ?? this.entryForTrace(span)
      this.put(entry, span)
      changed.add(entry.run.id)
    }
    for (const id of changed) {
      const entry = this.entries.get(id)
      if (entry !== undefined && entry.run.source === "otlp") entry.run = { ...entry.run, ...otlpRunFacts([...entry.spans.values()], entry.run) }
    }
    if (this.prune()) this.emit(undefined)
    for (const id of changed) this.emit(id)
    return [...changed]
  }

  /** Removes every run that is not still running. */
  clear(): void {
    for (const [id, entry] of this.entries) if (entry.run.status !== "running") this.delete(id)
    this.emit(undefined)
  }

  snapshot(): ReadonlyArray<RunSnapshot> {
    return this.runs().map((run) => ({ run, spans: this.spans(run.id) }))
  }

  /** Restores persisted runs (newest first, as `snapshot` lists them); a run that was going on when the window closed cannot be followed any more. */
  restore(snapshots: ReadonlyArray<RunSnapshot>): void {
    for (const { run, spans } of [...snapshots].reverse()) {
      if (this.entries.has(run.id)) continue
      if (run.source === "otlp") for (const span of spans) this.traceRuns.set(span.traceId, run.id)
      this.insert(run.status === "running" ? { ...run, status: "interrupted" } : run, spans)
    }
  }

  private entryForTrace(span: SpanRecord): Entry {
    const known = this.entries.get(this.traceRuns.get(span.traceId) ?? "")
    if (known !== undefined) return known
    const run: Run = { id: `trace-${span.traceId}`, label: span.name, source: "otlp", status: "received", startedMs: span.startMs, droppedSpans: 0 }
    this.traceRuns.set(span.traceId, run.id)
    return this.insert(run, [])
  }

  private put(entry: Entry, span: SpanRecord): void {
    const key = spanKey(span)
    if (!entry.spans.has(key) && entry.spans.size >= this.options.maxSpansPerRun) {
      entry.run = { ...entry.run, droppedSpans: entry.run.droppedSpans + 1 }
      return
    }
    // A start notice may arrive after the finished span (two exporters, no order between them).
    if (span.open === true && entry.spans.get(key)?.open !== true && entry.spans.has(key)) return
    entry.spans.set(key, span)
  }

  private insert(run: Run, spans: ReadonlyArray<SpanRecord>): Entry {
    const entry: Entry = { run, spans: new Map(), seq: this.seq++ }
    this.entries.set(run.id, entry)
    for (const span of spans) this.put(entry, span)
    this.prune()
    this.emit(undefined)
    return entry
  }

  /** Keeps the newest `maxRuns` runs; running ones are never dropped. */
  private prune(): boolean {
    const excess = this.entries.size - this.maxRuns
    if (excess <= 0) return false
    const finished = [...this.entries.values()].filter((entry) => entry.run.status !== "running").sort((a, b) => a.seq - b.seq)
    for (const entry of finished.slice(0, excess)) this.delete(entry.run.id)
    return true
  }

  private delete(runId: string): void {
    this.entries.delete(runId)
    for (const [traceId, id] of this.traceRuns) if (id === runId) this.traceRuns.delete(traceId)
  }

  private emit(runId: string | undefined): void {
    for (const listener of this.listeners) listener(runId)
  }
}

const extent = (spans: ReadonlyArray<SpanRecord>, fallback: number): { startedMs: number; endedMs: number } => {
  if (spans.length === 0) return { startedMs: fallback, endedMs: fallback }
  let startedMs = Infinity
  let endedMs = -Infinity
  for (const span of spans) {
    startedMs = Math.min(startedMs, span.startMs)
    endedMs = Math.max(endedMs, span.endMs)
  }
  return { startedMs, endedMs }
}

/** A trace-id run takes its name from its root span and its extent from its spans. */
const otlpRunFacts = (spans: ReadonlyArray<SpanRecord>, run: Run): Pick<Run, "label" | "startedMs" | "endedMs"> => {
  const root = spans.find((span) => span.parentSpanId === undefined)
  return { label: root?.name ?? run.label, ...extent(spans, run.startedMs) }
}
