/**
 * 3. Fan-out: N agents with 50 ms simulated latency called concurrently — wall time against the
 * floor measured in the same run (bare Effect fibers sleeping as long), against the ideal (one
 * latency), speedup over sequential calls, and heap per in-flight agent.
 */
import { AgentRuntime, LocalRuntime, Message } from "@aixfx/core"
import { Parallel } from "@aixfx/patterns"
import { Effect, ManagedRuntime } from "effect"
import { sleeping, workerNames } from "./lib/agents.js"
import type { Benchmark } from "./lib/Benchmark.js"
import { formatBytes, median, peakHeapGrowth, ratio, round, wallMs } from "./lib/measure.js"

const LATENCY_MS = 50
const PARALLEL = "fanout"
const SEQUENTIAL_SAMPLE = 10
/** Parallel and callAll within this factor of bare Effect fibers, at these sizes. */
const TARGET_VS_BARE = 1.25
const TARGET_SIZES: ReadonlySet<number> = new Set([1000, 10000])

export const benchmark: Benchmark = {
  name: "fanout",
  run: async ({ quick }) => {
    // Quick mode stops at 1,000: CI checks the benchmark works, the full run gives the figures.
    const sizes = quick ? [10, 100, 1000] : [10, 100, 1000, 10000]
    const rounds = quick ? 1 : 3
    const rows: Array<Record<string, string | number>> = []
    const notes: Array<string> = []
    const verdicts: Array<string> = []

    // Sequential calls of one agent give the time one call really takes here (latency + overhead).
    const sequential = await withWorkers(SEQUENTIAL_SAMPLE, async (runtime, names) => {
      const { ms } = await wallMs(() =>
        runtime.runPromise(Effect.forEach(names, (name) => AgentRuntime.call(name, Message.make("task")), { discard: true }))
      )
      return ms / names.length
    })

    for (const n of sizes) {
      // Effect's own floor: the same number of fibers sleeping the same time, no agents.
      const floor = await measureFanOut(rounds, async () => {
        await Effect.runPromise(Effect.forEach(workerNames(n), () => Effect.sleep(LATENCY_MS), { concurrency: "unbounded", discard: true }))
      })
      // The least any Effect program can do: one fiber per sleep, started directly, nothing else.
      const bare = await measureFanOut(rounds, () => bareFibers(n))
      // JavaScript's own floor: the same sleeps as timers and promises, no Effect at all.
      const promises = await measureFanOut(rounds, () => plainPromises(n))
      const [figures, callAll] = await withWorkers(n, async (runtime, names) => [
        await measureFanOut(rounds, async () => {
          const reply = await runtime.runPromise(AgentRuntime.call(PARALLEL, Message.make("task")))
          const answers = reply.payload.split("\n\n").length
          if (answers !== n) throw new Error(`Parallel over ${n} agents: ${answers} answers`)
        }),
        await measureFanOut(rounds, async () => {
          const results = await runtime.runPromise(AgentRuntime.callAll(names, Message.make("task")))
          const failed = results.filter((result) => result._tag === "Left").length
          if (failed > 0) throw new Error(`callAll over ${n} agents: ${failed} calls failed`)
        })
      ])
      const parallelVsBare = figures.wall / bare.wall
      const callAllVsBare = callAll.wall / bare.wall
      const targeted = TARGET_SIZES.has(n)
      const verdict = (vsBare: number) => (vsBare <= TARGET_VS_BARE ? "met" : "MISSED")
      if (targeted) {
        verdicts.push(
          `Fan-out at N = ${n.toLocaleString("en-US")}: Parallel ${parallelVsBare.toFixed(2)}× bare fibers, callAll ${callAllVsBare.toFixed(2)}× ` +
            `(target ≤ ${TARGET_VS_BARE}×): Parallel ${verdict(parallelVsBare)}, callAll ${verdict(callAllVsBare)}`
        )
      }
      const sequentialMs = n * sequential
      rows.push({
        N: n.toLocaleString("en-US"),
        "bare fibers ms": round(bare.wall, 1),
        "wall ms": round(figures.wall, 1),
        "× bare": `${parallelVsBare.toFixed(2)}×`,
        "callAll ms": round(callAll.wall, 1),
        "callAll × bare": `${callAllVsBare.toFixed(2)}×`,
        [`target ≤ ${TARGET_VS_BARE}× bare`]: targeted ? `${verdict(parallelVsBare)} / ${verdict(callAllVsBare)}` : "",
        "× ideal (50 ms)": `${(figures.wall / LATENCY_MS).toFixed(2)}×`,
        "bare fibers × ideal": `${(bare.wall / LATENCY_MS).toFixed(2)}×`,
        "plain Promises × ideal": `${(promises.wall / LATENCY_MS).toFixed(2)}×`,
        "plain Effect ms": round(floor.wall, 1),
        "vs plain Effect": ratio(figures.wall, floor.wall),
        "sequential ms": `${round(sequentialMs, 0).toLocaleString("en-US")}${n > SEQUENTIAL_SAMPLE ? " (N × 1 call)" : ""}`,
        speedup: ratio(sequentialMs, figures.wall),
        "heap / in-flight agent": formatBytes(figures.peakBytes / n),
        "plain Effect heap / fiber": formatBytes(floor.peakBytes / n)
      })
    }
    notes.push(
      "Measured: the Parallel pattern (registered in a LocalRuntime, called by name, replies concatenated) over N registered agents; `callAll ms` is `AgentRuntime.callAll` over the same agents, without the pattern.",
      `Each agent sleeps ${LATENCY_MS} ms (\`Effect.sleep\`) and replies. Wall time is the median of ${rounds} round(s) run back to back after a warm-up; the heap figures come from one more round.`,
      `Sequential: ${SEQUENTIAL_SAMPLE} calls one after another measured ${sequential.toFixed(2)} ms per call; for larger N it is N × that (not run).`,
      "Plain Effect: `Effect.forEach` (unbounded) of `Effect.sleep(50 ms)` over N, the idiomatic way, measured in the same run. aixfx's `callAll` starts one fiber per call directly, already as the agent it calls (`FanOut.branches`), which is why it can beat it; Parallel uses `callAll` when it has no step spans or retries to add.",
      "Bare fibers: N fibers each sleeping 50 ms, started with `Runtime.runFork` and awaited with observers — the floor for anything built on Effect fibers here, measured in the same run. `× bare` (Parallel) and `callAll × bare` divide by it.",
      `Target: Parallel and callAll within ${TARGET_VS_BARE}× of bare fibers at N = 1,000 and 10,000 (the cell reads Parallel / callAll). The target is relative because the ideal (one latency) lies below what Effect fibers themselves reach on a loaded 2-core machine; \`× ideal\` is shown for reference.`,
      "Plain Promises: N `setTimeout`s of 50 ms, each wrapped in a Promise and awaited with `Promise.all` — what JavaScript alone costs here; the gap from it to bare fibers is what an Effect fiber costs.",
      "Heap per in-flight agent: the peak heap growth during the fan-out (sampled every 2 ms, after a full GC) divided by N; agents are registered before."
    )
    return { title: "3. Fan-out — Parallel over N agents × 50 ms latency", rows, notes, verdicts }
  }
}

/** N fibers each sleeping the latency, started directly on the default runtime; resolves when all have ended. */
const bareFibers = (n: number): Promise<void> =>
  new Promise((resolve) => {
    let running = n
    for (let i = 0; i < n; i++) {
      Effect.runFork(Effect.sleep(LATENCY_MS)).addObserver(() => {
        if (--running === 0) resolve()
      })
    }
  })

/** N timers of the latency awaited together: no fibers, no Effect. */
const plainPromises = async (n: number): Promise<void> => {
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => setTimeout(resolve, LATENCY_MS))))
}

/**
 * Median wall time of `rounds` runs after a warm-up, back to back as an application would run them;
 * then the peak heap growth of one more run, started after a full GC and sampled (kept out of the
 * timed runs, which the GC and the sampling would otherwise disturb).
 */
const measureFanOut = async (rounds: number, fanOut: () => Promise<void>) => {
  await fanOut()
  const walls: Array<number> = []
  for (let round = 0; round < rounds; round++) walls.push((await wallMs(fanOut)).ms)
  const { bytes } = await peakHeapGrowth(fanOut)
  return { wall: median(walls), peakBytes: bytes }
}

/** A LocalRuntime with `n` sleeping workers registered, disposed after `use`. */
const withWorkers = async <A>(
  n: number,
  use: (runtime: ManagedRuntime.ManagedRuntime<AgentRuntime.AgentRuntime, never>, names: ReadonlyArray<string>) => Promise<A>
): Promise<A> => {
  const names = workerNames(n)
  const runtime = ManagedRuntime.make(LocalRuntime.layer())
  try {
    await runtime.runPromise(Effect.forEach(names, (name) => AgentRuntime.register(sleeping(name, LATENCY_MS)), { discard: true }))
    await runtime.runPromise(AgentRuntime.register(Parallel.make({ name: PARALLEL, agents: names })))
    return await use(runtime, names)
  } finally {
    await runtime.dispose()
  }
}
