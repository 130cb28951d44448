/**
 * 3. Fan-out: N agents with 50 ms simulated latency called concurrently — wall time against the
 * floor measured in the same run (bare Effect fibers doing the agents' work: the same sleep and
 * the same reply), against the ideal (one latency), speedup over sequential calls, and heap per
 * in-flight agent.
 */
import { AgentRuntime, LocalRuntime, Message } from "@aixfx/core"
import { Parallel } from "@aixfx/patterns"
import { Effect, type Exit, ManagedRuntime } from "effect"
import { sleeping, sleepThenReply, workerNames } from "./lib/agents.js"
import type { Benchmark } from "./lib/Benchmark.js"
import { collectGarbage, formatBytes, median, peakHeapGrowth, ratio, round, wallMs } from "./lib/measure.js"

const LATENCY_MS = 50
const PARALLEL = "fanout"
const SEQUENTIAL_SAMPLE = 10
/** Parallel and callAll within this factor of bare Effect fibers doing the agents' work, at these sizes. */
const TARGET_VS_BARE = 1.25
const TARGET_SIZES: ReadonlySet<number> = new Set([1000, 10000])
/** What every agent does, and what the bare fibers of the floor do: sleep, then reply. */
const agentWork = sleepThenReply(LATENCY_MS)

export const benchmark: Benchmark = {
  name: "fanout",
  run: async ({ quick }) => {
    // Quick mode stops at 1,000: CI checks the benchmark works, the full run gives the figures.
    const sizes = quick ? [10, 100, 1000] : [10, 100, 1000, 10000]
    const rounds = quick ? 1 : 7
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
      // Every contender runs with the same agents registered (the same heap), in turns.
      const figures = await withWorkers(n, (runtime, names) =>
        inTurns(rounds, {
          // The floor: one fiber per agent doing what the agent does, started directly, replies kept.
          bare: () => bareFibers(n, () => agentWork(Message.make("task"))),
          // The same fibers with nothing to do but sleep.
          sleepOnly: () => bareFibers(n, () => Effect.sleep(LATENCY_MS)),
          // JavaScript's own floor: the same sleeps as timers and promises, no Effect at all.
          promises: () => plainPromises(n),
          // Effect's idiomatic way: the same number of fibers sleeping the same time, no agents.
          plainEffect: () =>
            Effect.runPromise(Effect.forEach(workerNames(n), () => Effect.sleep(LATENCY_MS), { concurrency: "unbounded", discard: true })),
          parallel: async () => {
            const reply = await runtime.runPromise(AgentRuntime.call(PARALLEL, Message.make("task")))
            const answers = reply.payload.split("\n\n").length
            if (answers !== n) throw new Error(`Parallel over ${n} agents: ${answers} answers`)
          },
          callAll: async () => {
            const results = await runtime.runPromise(AgentRuntime.callAll(names, Message.make("task")))
            const failed = results.filter((result) => result._tag === "Left").length
            if (failed > 0) throw new Error(`callAll over ${n} agents: ${failed} calls failed`)
          }
        }, ["parallel", "plainEffect"])
      )
      const { bare, sleepOnly, promises, plainEffect, parallel, callAll } = figures
      const parallelVsBare = parallel.wall / bare.wall
      const callAllVsBare = callAll.wall / bare.wall
      const targeted = TARGET_SIZES.has(n)
      const verdict = (vsBare: number) => (vsBare <= TARGET_VS_BARE ? "met" : "MISSED")
      if (targeted) {
        verdicts.push(
          `Fan-out at N = ${n.toLocaleString("en-US")}: Parallel ${parallelVsBare.toFixed(2)}× bare fibers doing the agents' work, callAll ${callAllVsBare.toFixed(2)}× ` +
            `(target ≤ ${TARGET_VS_BARE}×): Parallel ${verdict(parallelVsBare)}, callAll ${verdict(callAllVsBare)}; ` +
            `against fibers that only sleep ${(parallel.wall / sleepOnly.wall).toFixed(2)}× / ${(callAll.wall / sleepOnly.wall).toFixed(2)}×`
        )
      }
      const sequentialMs = n * sequential
      rows.push({
        N: n.toLocaleString("en-US"),
        "bare fibers ms": round(bare.wall, 1),
        "Parallel ms": round(parallel.wall, 1),
        "× bare": `${parallelVsBare.toFixed(2)}×`,
        "callAll ms": round(callAll.wall, 1),
        "callAll × bare": `${callAllVsBare.toFixed(2)}×`,
        [`target ≤ ${TARGET_VS_BARE}× bare`]: targeted ? `${verdict(parallelVsBare)} / ${verdict(callAllVsBare)}` : "",
        "sleep-only fibers ms": round(sleepOnly.wall, 1),
        "× sleep-only": `${(parallel.wall / sleepOnly.wall).toFixed(2)}× / ${(callAll.wall / sleepOnly.wall).toFixed(2)}×`,
        "× ideal (50 ms)": `${(parallel.wall / LATENCY_MS).toFixed(2)}×`,
        "bare fibers × ideal": `${(bare.wall / LATENCY_MS).toFixed(2)}×`,
        "plain Promises × ideal": `${(promises.wall / LATENCY_MS).toFixed(2)}×`,
        "plain Effect ms": round(plainEffect.wall, 1),
        "vs plain Effect": ratio(parallel.wall, plainEffect.wall),
        "sequential ms": `${round(sequentialMs, 0).toLocaleString("en-US")}${n > SEQUENTIAL_SAMPLE ? " (N × 1 call)" : ""}`,
        speedup: ratio(sequentialMs, parallel.wall),
        "heap / in-flight agent": formatBytes(parallel.peakBytes! / n),
        "plain Effect heap / fiber": formatBytes(plainEffect.peakBytes! / n)
      })
    }
    notes.push(
      "Measured: the Parallel pattern (registered in a LocalRuntime, called by name, replies concatenated) over N registered agents; `callAll ms` is `AgentRuntime.callAll` over the same agents, without the pattern.",
      `Each agent sleeps ${LATENCY_MS} ms (\`Effect.sleep\`) and replies (\`Message.reply\`). Every contender of a row runs in the same process with the same agents registered, in turns: ${rounds} round(s) after a warm-up, each run after a full GC (outside the timing), so that the collector's state and the machine's slow spells fall on all of them alike; the figure is the median. The heap figures come from one more run.`,
      `Sequential: ${SEQUENTIAL_SAMPLE} calls one after another measured ${sequential.toFixed(2)} ms per call; for larger N it is N × that (not run).`,
      "Bare fibers: N fibers started with `Runtime.runFork`, each doing what an agent does (the same sleep, then the same reply), their exits kept until all have ended and awaited with observers: the floor for a fan-out on Effect fibers that returns the agents' replies. `× bare` (Parallel) and `callAll × bare` divide by it; the target is read on them.",
      "Sleep-only fibers: the same N fibers with nothing to do but sleep (no reply, nothing kept). `× sleep-only` reads Parallel / callAll against them: it adds the agents' own work (building 10,000 replies) to what the framework costs.",
      `Target: Parallel and callAll within ${TARGET_VS_BARE}× of bare fibers at N = 1,000 and 10,000 (the cell reads Parallel / callAll). The target is relative because the ideal (one latency) lies below what Effect fibers themselves reach on a 2-core machine; \`× ideal\` is shown for reference.`,
      "Plain Effect: `Effect.forEach` (unbounded) of `Effect.sleep(50 ms)` over N, the idiomatic way. aixfx's `callAll` starts one fiber per call directly, already as the agent it calls (`FanOut.branches`), which is why it can beat it; Parallel uses `callAll` when it has no step spans or retries to add.",
      "Plain Promises: N `setTimeout`s of 50 ms, each wrapped in a Promise and awaited with `Promise.all` — what JavaScript alone costs here; the gap from it to sleep-only fibers is what an Effect fiber costs.",
      "Heap per in-flight agent: the peak heap growth during the fan-out (sampled every 2 ms, after a full GC) divided by N; agents are registered before."
    )
    return { title: "3. Fan-out — Parallel over N agents × 50 ms latency", rows, notes, verdicts }
  }
}

/**
 * N fibers, each running `effect()`, started directly on the default runtime; resolves when all
 * have ended, with their exits (kept as a fan-out keeps its replies).
 */
const bareFibers = (n: number, effect: () => Effect.Effect<unknown>): Promise<ReadonlyArray<Exit.Exit<unknown>>> =>
  new Promise((resolve) => {
    const exits = new Array<Exit.Exit<unknown>>(n)
    let running = n
    for (let i = 0; i < n; i++) {
      Effect.runFork(effect()).addObserver((exit) => {
        exits[i] = exit
        if (--running === 0) resolve(exits)
      })
    }
  })

/** N timers of the latency awaited together: no fibers, no Effect. */
const plainPromises = async (n: number): Promise<void> => {
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => setTimeout(resolve, LATENCY_MS))))
}

interface Figure {
  /** Median wall time, ms. */
  readonly wall: number
  /** Peak heap growth of one more run (for the contenders asked for). */
  readonly peakBytes?: number
}

/**
 * Runs every contender once to warm up, then `rounds` rounds in which each runs once in turn, after
 * a full GC (outside the timing); the median wall time of each. Then, for the contenders named in
 * `heapOf`, the peak heap growth of one more run (kept out of the timed runs, which the sampling
 * would disturb).
 */
const inTurns = async <K extends string>(
  rounds: number,
  contenders: Record<K, () => Promise<unknown>>,
  heapOf: ReadonlyArray<NoInfer<K>>
): Promise<Record<K, Figure>> => {
  const entries = Object.entries(contenders) as Array<[K, () => Promise<unknown>]>
  const walls = new Map<K, Array<number>>(entries.map(([name]) => [name, []]))
  for (const [, run] of entries) await run()
  for (let turn = 0; turn < rounds; turn++) {
    for (const [name, run] of entries) {
      collectGarbage()
      walls.get(name)!.push((await wallMs(run)).ms)
    }
  }
  const figures = {} as Record<K, Figure>
  for (const [name, run] of entries) {
    figures[name] = heapOf.includes(name)
      ? { wall: median(walls.get(name)!), peakBytes: (await peakHeapGrowth(run)).bytes }
      : { wall: median(walls.get(name)!) }
  }
  return figures
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
