/**
 * 4. Distributed: `AgentRuntime.call` over DistributedRuntime between two processes, against a
 * bare @grpc/grpc-js echo of the same RPC (same .proto, same message) measured in the same run.
 */
import * as grpc from "@grpc/grpc-js"
import { AgentRuntime, DistributedRuntime, Message } from "@aixfx/core"
import { Effect, ManagedRuntime } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import type { Benchmark } from "./lib/Benchmark.js"
import { loadAgentService } from "./lib/grpcEcho.js"
import { collectGarbage, quantile, ratio, round } from "./lib/measure.js"

const TARGET = 1.3
const CONCURRENCY = 32
// Enough for both sides to reach steady state: the aixfx path has more code for the JIT to settle
// (at 200 calls its p50 was still falling, the bare echo's was not).
const WARM_UP = 2000
const ROUNDS = 6
const serverFile = fileURLToPath(new URL("./lib/grpcEcho.ts", import.meta.url))

interface Figures {
  readonly p50: number
  readonly p99: number
  readonly callsPerSecond: number
}

/** Starts a server process and resolves with its endpoint once it says READY (10 s at most). */
const startServer = (mode: "bare" | "aixfx"): Promise<{ readonly child: ChildProcess; readonly endpoint: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, serverFile, mode], { stdio: ["pipe", "pipe", "inherit"] })
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`the ${mode} echo server did not start within 10 s`))
    }, 10_000)
    child.once("exit", (code) => reject(new Error(`the ${mode} echo server exited with code ${code} before it was ready`)))
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("READY ")) {
        clearTimeout(timer)
        resolve({ child, endpoint: line.slice("READY ".length) })
      }
    })
  })

const stopServer = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    const timer = setTimeout(() => child.kill(), 2_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.stdin!.end()
  })

/**
 * One way of calling the echo: `sequential(n)` makes n calls one after another and gives their
 * latencies (ms); `concurrent(n)` makes n calls, CONCURRENCY in flight, and gives the seconds taken.
 */
interface Caller {
  readonly sequential: (n: number) => Promise<ReadonlyArray<number>>
  readonly concurrent: (n: number) => Promise<number>
  readonly close: () => Promise<void>
}

/** A caller over any promise-returning call. */
const promiseCaller = (call: () => Promise<unknown>, close: () => Promise<void>): Caller => ({
  sequential: async (n) => {
    const latencies: Array<number> = []
    for (let i = 0; i < n; i++) {
      const start = performance.now()
      await call()
      latencies.push(performance.now() - start)
    }
    return latencies
  },
  concurrent: async (n) => {
    let remaining = n
    const worker = async () => {
      while (remaining-- > 0) await call()
    }
    const start = performance.now()
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    return (performance.now() - start) / 1000
  },
  close
})

const bareCaller = (endpoint: string): Caller => {
  const Client = grpc.makeGenericClientConstructor(loadAgentService(), "AgentService")
  const client = new Client(endpoint, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Execute: (request: unknown, callback: (error: grpc.ServiceError | null, response: unknown) => void) => void
  }
  const message = Message.make("ping")
  const request = {
    agent: "echo",
    message: { id: message.id, type: message.type, payload: message.payload, metadata: { fields: {} }, timestamp: message.timestamp }
  }
  const call = () =>
    new Promise<unknown>((resolve, reject) => client.Execute(request, (error, response) => (error ? reject(error) : resolve(response))))
  return promiseCaller(call, async () => client.close())
}

/** An aixfx node calling the echo agent as an Effect program does: the calls made inside one Effect. */
const aixfxCaller = (endpoint: string): Caller => {
  const runtime = ManagedRuntime.make(DistributedRuntime.layer({ peers: { echo: endpoint } }))
  const call = AgentRuntime.call("echo", Message.make("ping"))
  return {
    sequential: (n) =>
      runtime.runPromise(Effect.gen(function* () {
        const latencies: Array<number> = []
        for (let i = 0; i < n; i++) {
          const start = performance.now()
          yield* call
          latencies.push(performance.now() - start)
        }
        return latencies
      })),
    concurrent: (n) =>
      runtime.runPromise(Effect.gen(function* () {
        let remaining = n
        const worker = Effect.whileLoop({ while: () => remaining-- > 0, body: () => call, step: () => {} })
        const start = performance.now()
        yield* Effect.all(Array.from({ length: CONCURRENCY }, () => worker), { concurrency: "unbounded", discard: true })
        return (performance.now() - start) / 1000
      })),
    close: () => runtime.dispose()
  }
}

/** The same node, each call entered from a Promise (`runPromise`), as code outside Effect makes it. */
const aixfxFromPromiseCaller = (endpoint: string): Caller => {
  const runtime = ManagedRuntime.make(DistributedRuntime.layer({ peers: { echo: endpoint } }))
  const call = AgentRuntime.call("echo", Message.make("ping"))
  return promiseCaller(() => runtime.runPromise(call), () => runtime.dispose())
}

export const benchmark: Benchmark = {
  name: "distributed",
  run: async ({ quick }) => {
    const sequential = quick ? 100 : 3000
    const concurrent = quick ? 1000 : 10000
    const rounds = quick ? 2 : ROUNDS
    const warmUp = Math.min(WARM_UP, sequential)
    const servers = { bare: await startServer("bare"), aixfx: await startServer("aixfx") }
    const callers = [
      { name: "bare @grpc/grpc-js echo (baseline)", caller: bareCaller(servers.bare.endpoint) },
      { name: "aixfx DistributedRuntime call, in an Effect program", caller: aixfxCaller(servers.aixfx.endpoint) },
      { name: "aixfx DistributedRuntime call, each from a Promise (runPromise)", caller: aixfxFromPromiseCaller(servers.aixfx.endpoint) }
    ]
    const latencies = callers.map((): Array<number> => [])
    // The Effect-program row's p50 over the bare echo's, round by round: how much the ratio moves.
    const roundRatios: Array<number> = []
    const seconds = callers.map(() => 0)
    try {
      for (const { caller } of callers) await caller.sequential(warmUp) // connections, JIT
      // Rounds taken in turn, so a slow spell of the machine falls on every side alike; a full GC
      // before each turn, so no side pays for the garbage another one left (they share a heap).
      for (let round = 0; round < rounds; round++) {
        const p50s: Array<number> = []
        for (const [i, { caller }] of callers.entries()) {
          collectGarbage()
          const taken = await caller.sequential(Math.ceil(sequential / rounds))
          latencies[i]!.push(...taken)
          p50s.push(quantile(taken, 0.5))
        }
        roundRatios.push(p50s[1]! / p50s[0]!)
      }
      for (let round = 0; round < rounds; round++) {
        for (const [i, { caller }] of callers.entries()) {
          collectGarbage()
          seconds[i]! += await caller.concurrent(Math.ceil(concurrent / rounds))
        }
      }
    } finally {
      for (const { caller } of callers) await caller.close()
      await Promise.all([stopServer(servers.bare.child), stopServer(servers.aixfx.child)])
    }
    const results = callers.map(({ name }, i): { readonly name: string; readonly figures: Figures } => ({
      name,
      figures: {
        p50: quantile(latencies[i]!, 0.5),
        p99: quantile(latencies[i]!, 0.99),
        callsPerSecond: (Math.ceil(concurrent / rounds) * rounds) / seconds[i]!
      }
    }))
    const [bare, aixfx] = [results[0]!.figures, results[1]!.figures]
    const rows = results.map(({ name, figures }) => ({
      transport: name,
      "p50 ms": round(figures.p50, 3),
      "p99 ms": round(figures.p99, 3),
      "calls/s": Math.round(figures.callsPerSecond).toLocaleString("en-US"),
      "p50 vs bare": ratio(figures.p50, bare.p50),
      "p99 vs bare": ratio(figures.p99, bare.p99),
      "throughput vs bare": ratio(bare.callsPerSecond, figures.callsPerSecond)
    }))
    const p50Ratio = aixfx.p50 / bare.p50
    return {
      title: "4. Distributed — gRPC call between two processes",
      rows,
      notes: [
        `Both servers are separate Node processes on 127.0.0.1 serving the same RPC (AgentService.Execute from core's agent.proto) with the same Message; the bare one is a grpc-js handler returning the request's message.`,
        `Latency: ${sequential.toLocaleString("en-US")} sequential calls per row, after ${warmUp.toLocaleString("en-US")} warm-up calls each. Throughput: ${concurrent.toLocaleString("en-US")} calls per row, ${CONCURRENCY} in flight. Both servers run at once and the rows take turns in ${rounds} rounds, so the machine's slow spells fall on all of them; a full GC before each turn, as the callers share a heap. "vs bare" ratios are time ratios (higher = slower).`,
        `aixfx adds: Message ⇄ protobuf conversion (metadata as google.protobuf.Struct), call context and trace metadata, typed-error decoding, a fiber per call on the serving node and its LocalRuntime call. No tracer is installed on either side. The target is read on the Effect-program row; the Promise row adds entering Effect for every call.`,
        `The warm-up brings both sides to steady state (at 200 calls the aixfx path's p50 was still falling).`,
        `Target p50 ≤ ${TARGET}× the bare echo: ${p50Ratio <= TARGET ? "met" : "MISSED"} (${p50Ratio.toFixed(2)}×; round by round ${Math.min(...roundRatios).toFixed(2)}–${Math.max(...roundRatios).toFixed(2)}×). This machine's speed drifts between runs (the bare p50 itself ranged 0.40–0.83 ms in one day's runs), so one run's ratio is not the last word.`
      ],
      verdicts: [`gRPC call p50: ${p50Ratio.toFixed(2)}× a bare grpc-js echo (target ≤ ${TARGET}×): ${p50Ratio <= TARGET ? "met" : "MISSED"}`]
    }
  }
}
