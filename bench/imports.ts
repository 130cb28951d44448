/**
 * 6. Import time: how long `await import(...)` takes in a fresh node process (no tsx: the built
 * packages, as an installed application loads them), for `effect` alone, the in-process entry
 * `@aixfx/core/LocalRuntime`, the patterns and the whole core index. Rounds are interleaved so
 * the machine's load hits every entry alike; the median round counts.
 */
import { execFile } from "node:child_process"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import type { Benchmark } from "./lib/Benchmark.js"
import { median, ratio, round } from "./lib/measure.js"

const here = dirname(fileURLToPath(import.meta.url))
const TARGET_RATIO = 1.3

const ENTRIES: ReadonlyArray<{ readonly name: string; readonly specifiers: ReadonlyArray<string> }> = [
  { name: "effect (alone)", specifiers: ["effect"] },
  { name: "@aixfx/core/LocalRuntime", specifiers: ["@aixfx/core/LocalRuntime"] },
  { name: "LocalRuntime + LocalHeuristicModel + @aixfx/patterns", specifiers: ["@aixfx/core/LocalRuntime", "@aixfx/core/LocalHeuristicModel", "@aixfx/patterns"] },
  { name: "@aixfx/core (the whole index)", specifiers: ["@aixfx/core"] }
]

/** Milliseconds the imports take inside a fresh node (startup excluded). */
const importMs = async (specifiers: ReadonlyArray<string>): Promise<number> => {
  const script = `const t = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s); console.log(performance.now() - t)`
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { cwd: here, timeout: 120_000 })
  return Number(stdout.trim())
}

export const benchmark: Benchmark = {
  name: "imports",
  run: async ({ quick }) => {
    const rounds = quick ? 3 : 11
    const samples = ENTRIES.map(() => [] as Array<number>)
    await importMs(["effect"]) // warm the file system cache
    for (let i = 0; i < rounds; i++) {
      for (const [index, entry] of ENTRIES.entries()) samples[index]!.push(await importMs(entry.specifiers))
    }
    const medians = samples.map(median)
    const effectMs = medians[0]!
    return {
      title: "Import time (fresh node, built packages)",
      rows: ENTRIES.map((entry, index) => ({
        entry: entry.name,
        "median ms": round(medians[index]!, 1),
        "× effect": ratio(medians[index]!, effectMs)
      })),
      notes: [
        `${rounds} interleaved rounds; target: \`@aixfx/core/LocalRuntime\` ≤ ${TARGET_RATIO}× \`effect\` alone — ${
          medians[1]! <= TARGET_RATIO * effectMs ? "met" : "NOT met"
        } (${ratio(medians[1]!, effectMs)}).`,
        "The index loads DistributedRuntime (gRPC, protobuf) and Telemetry (OTel SDK, Langfuse); import per module to leave them out."
      ]
    }
  }
}
