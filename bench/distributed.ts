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
import { quantile, ratio, round } from "./lib/measure.js"

const TARGET = 1.3
const CONCURRENCY = 32
// Enough for both sides to reach steady state: the aixfx path has more code for the JIT to settle
// (at 200 calls its p50 was still falling, the bare echo's was not).
const WARM_UP = 2000
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

/** Sequential latencies (ms) then concurrent throughput, for any `call`. */
const measure = async (call: () => Promise<unknown>, sequential: number, concurrent: number): Promise<Figures> => {
  for (let i = 0; i < Math.min(WARM_UP, sequential); i++) await call() // connections, JIT
  const latencies: Array<number> = []
  for (let i = 0; i < sequential; i++) {
    const start = performance.now()
    await call()
    latencies.push(performance.now() - start)
  }
  let remaining = concurrent
  const worker = async () => {
    while (remaining-- > 0) await call()
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - start) / 1000
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), callsPerSecond: concurrent / seconds }
}

const measureBare = async (endpoint: string, sequential: number, concurrent: number): Promise<Figures> => {
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
  try {
    return await measure(call, sequential, concurrent)
  } finally {
    client.close()
  }
}

/** The same figures for an Effect program: the calls are made inside one Effect, as a program does. */
const measureEffect = <R>(call: Effect.Effect<unknown, unknown, R>, sequential: number, concurrent: number): Effect.Effect<Figures, unknown, R> =>
  Effect.gen(function* () {
    for (let i = 0; i < Math.min(WARM_UP, sequential); i++) yield* call
    const latencies: Array<number> = []
    for (let i = 0; i < sequential; i++) {
      const start = performance.now()
      yield* call
      latencies.push(performance.now() - start)
    }
    let remaining = concurrent
    const worker = Effect.whileLoop({ while: () => remaining-- > 0, body: () => call, step: () => {} })
    const start = performance.now()
    yield* Effect.all(Array.from({ length: CONCURRENCY }, () => worker), { concurrency: "unbounded", discard: true })
    const seconds = (performance.now() - start) / 1000
    return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), callsPerSecond: concurrent / seconds }
  })

const withAixfxCaller = async (endpoint: string, use: (runtime: ManagedRuntime.ManagedRuntime<AgentRuntime.AgentRuntime, unknown>, call: Effect.Effect<unknown, unknown, AgentRuntime.AgentRuntime>) => Promise<Figures>) => {
  const runtime = ManagedRuntime.make(DistributedRuntime.layer({ peers: { echo: endpoint } }))
  try {
    return await use(runtime, AgentRuntime.call("echo", Message.make("ping")))
  } finally {
    await runtime.dispose()
  }
}

const measureAixfx = (endpoint: string, sequential: number, concurrent: number): Promise<Figures> =>
  withAixfxCaller(endpoint, (runtime, call) => runtime.runPromise(measureEffect(call, sequential, concurrent)))

/** Each call entered from a Promise (`runPromise`), as code outside Effect would make it. */
const measureAixfxFromPromise = (endpoint: string, sequential: number, concurrent: number): Promise<Figures> =>
  withAixfxCaller(endpoint, (runtime, call) => measure(() => runtime.runPromise(call), sequential, concurrent))

export const benchmark: Benchmark = {
  name: "distributed",
  run: async ({ quick }) => {
    const sequential = quick ? 100 : 3000
    const concurrent = quick ? 1000 : 10000
    const results: Array<{ readonly name: string; readonly figures: Figures }> = []
    for (const [mode, name, client] of [
      ["bare", "bare @grpc/grpc-js echo (baseline)", measureBare],
      ["aixfx", "aixfx DistributedRuntime call, in an Effect program", measureAixfx],
      ["aixfx", "aixfx DistributedRuntime call, each from a Promise (runPromise)", measureAixfxFromPromise]
    ] as const) {
      const { child, endpoint } = await startServer(mode)
      try {
        results.push({ name, figures: await client(endpoint, sequential, concurrent) })
      } finally {
        await stopServer(child)
      }
    }
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
        `Latency: ${sequential.toLocaleString("en-US")} sequential calls after ${Math.min(WARM_UP, sequential)} warm-up calls. Throughput: ${concurrent.toLocaleString("en-US")} calls, ${CONCURRENCY} in flight. "vs bare" ratios are time ratios (higher = slower).`,
        `aixfx adds: Message ⇄ protobuf conversion (metadata as google.protobuf.Struct), call context and trace metadata, typed-error decoding, a fiber per call on the serving node and its LocalRuntime call. No tracer is installed on either side. The target is read on the Effect-program row; the Promise row adds entering Effect for every call.`,
        `Warm-up: ${WARM_UP.toLocaleString("en-US")} calls on each side before timing (steady state: at 200 the aixfx path's p50 was still falling).`,
        `Target p50 ≤ ${TARGET}× the bare echo: ${p50Ratio <= TARGET ? "met" : "MISSED"} (${p50Ratio.toFixed(2)}×).`
      ]
    }
  }
}
