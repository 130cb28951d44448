/**
 * Timing and memory helpers. Figures are medians over rounds, taken after a warm-up, so one
 * noisy round (the machine is shared) does not decide a figure.
 */
import { Effect, type ManagedRuntime } from "effect"
import { performance } from "node:perf_hooks"
import { setFlagsFromString } from "node:v8"
import { clearInterval, setInterval } from "node:timers"
import { runInNewContext } from "node:vm"

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/**
 * Nanoseconds per operation: `op()` run `iterations` times in one fiber, `rounds` times after one
 * warm-up round; the median round counts. The loop is the same for every variant, so the
 * difference between two variants is the difference between their operations.
 */
export const nsPerOp = async <R, ER>(
  runtime: ManagedRuntime.ManagedRuntime<R, ER>,
  op: () => Effect.Effect<unknown, unknown, R>,
  options: { readonly iterations: number; readonly rounds: number; readonly betweenRounds?: () => void }
): Promise<number> => {
  const loop = Effect.gen(function* () {
    const start = performance.now()
    for (let i = 0; i < options.iterations; i++) yield* op()
    return ((performance.now() - start) * 1e6) / options.iterations
  })
  const samples: Array<number> = []
  for (let round = 0; round <= options.rounds; round++) {
    const ns = await runtime.runPromise(loop)
    options.betweenRounds?.()
    if (round > 0) samples.push(ns)
  }
  return median(samples)
}

/** Wall-clock milliseconds of one promise. */
export const wallMs = async <A>(run: () => Promise<A>): Promise<{ readonly ms: number; readonly value: A }> => {
  const start = performance.now()
  const value = await run()
  return { ms: performance.now() - start, value }
}

let gcFunction: (() => void) | undefined
/** Full garbage collection (exposes `gc` at run time when node was not started with --expose-gc). */
export const collectGarbage = (): void => {
  if (gcFunction === undefined) {
    setFlagsFromString("--expose-gc")
    gcFunction = runInNewContext("gc") as () => void
  }
  gcFunction()
}

/**
 * Runs `run` while sampling the heap every few milliseconds; returns the result and the peak heap
 * growth over the heap after a full GC taken just before.
 */
export const peakHeapGrowth = async <A>(run: () => Promise<A>): Promise<{ readonly bytes: number; readonly value: A }> => {
  collectGarbage()
  const before = process.memoryUsage().heapUsed
  let peak = before
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().heapUsed)
  }
  const timer = setInterval(sample, 2)
  try {
    const value = await run()
    sample()
    return { bytes: peak - before, value }
  } finally {
    clearInterval(timer)
  }
}

export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** `a / b` as "1.23×". */
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`

export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
