/**
 * 7. Cluster: ClusterRuntime (@effect/cluster on Postgres) against LocalRuntime and
 * DistributedRuntime (gRPC) measured in the same run: per-call latency; in full mode also the
 * throughput of 1,000 concurrent 50 ms calls on 1 vs 3 runner processes, and how long a SIGKILLed
 * runner's calls take to complete on another runner. Needs AIXFX_CLUSTER_PG_URL (a Postgres the
 * bench may create databases in: packages/cluster/scripts/postgres.sh start); skipped without it.
 */
import { ClusterRuntime } from "@aixfx/cluster"
import { Agent, AgentRuntime, DistributedRuntime, LocalRuntime, Message } from "@aixfx/core"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import type { Benchmark, Section } from "./lib/Benchmark.js"
import { benchSharding } from "./lib/clusterSharding.js"
import { quantile, ratio, round } from "./lib/measure.js"

const runnerFile = fileURLToPath(new URL("./lib/clusterRunner.ts", import.meta.url))
const echo = Agent.fromFunction("echo", (m) => Message.reply(m, m.payload))

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const pg = (url: string) => PgClient.layer({ url: Redacted.make(url), maxConnections: 20 })

/** A fresh database on the server (dropped at the end), so no runner of an earlier run holds shards. */
const withDatabase = async <A>(server: string, use: (url: string) => Promise<A>): Promise<A> => {
  const name = `bench_${Math.random().toString(36).slice(2, 10)}`
  const admin = (statement: string) =>
    Effect.runPromise(Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(statement)).pipe(Effect.provide(pg(server))))
  await admin(`CREATE DATABASE ${name}`)
  const url = new URL(server)
  url.pathname = `/${name}`
  try {
    return await use(url.toString())
  } finally {
    await admin(`DROP DATABASE ${name} WITH (FORCE)`).catch(() => undefined)
  }
}

interface Runner {
  readonly child: ChildProcess
  readonly port: number
}

const startRunner = async (databaseUrl: string): Promise<Runner> => {
  const port = await freePort()
  const child = spawn(process.execPath, [...process.execArgv, runnerFile], {
    env: { ...process.env, DATABASE_URL: databaseUrl, RUNNER_PORT: String(port) },
    stdio: ["ignore", "pipe", "ignore"]
  })
  await new Promise<void>((resolve, reject) => {
    // Several runners compiling at once on a loaded machine can take a minute.
    const timer = setTimeout(() => reject(new Error(`cluster runner on ${port} not ready within 240 s`)), 240_000)
    child.once("exit", (code) => reject(new Error(`cluster runner on ${port} exited with code ${code}`)))
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("READY ")) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  return { child, port }
}

const stop = (runner: Runner, signal: NodeJS.Signals = "SIGTERM") =>
  new Promise<void>((resolve) => {
    if (runner.child.exitCode !== null || runner.child.signalCode !== null) return resolve()
    runner.child.once("exit", () => resolve())
    process.kill(runner.child.pid!, signal)
  })

/** Latencies (ms) of `n` sequential echo calls after `warmUp` unmeasured ones. */
const latencies = (runtime: ManagedRuntime.ManagedRuntime<AgentRuntime.AgentRuntime, unknown>, n: number, warmUp: number) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const taken: Array<number> = []
      for (let i = 0; i < warmUp + n; i++) {
        const start = performance.now()
        yield* AgentRuntime.call("echo", Message.make("ping"))
        if (i >= warmUp) taken.push(performance.now() - start)
      }
      return taken
    })
  )

/** Seconds for `n` concurrent calls of `ms` each (all in flight at once). */
const burst = (runtime: ManagedRuntime.ManagedRuntime<AgentRuntime.AgentRuntime, unknown>, n: number, ms: number) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const start = performance.now()
      yield* Effect.forEach(Array.from({ length: n }, () => Message.make(String(ms))), (m) => AgentRuntime.call("sleep", m), {
        concurrency: "unbounded",
        discard: true
      })
      return (performance.now() - start) / 1000
    })
  )

const latencyRow = (name: string, taken: ReadonlyArray<number>, baseline: ReadonlyArray<number>) => ({
  measure: name,
  "p50 ms": round(quantile(taken, 0.5), 3),
  "p99 ms": round(quantile(taken, 0.99), 3),
  "p50 vs Local": ratio(quantile(taken, 0.5), quantile(baseline, 0.5))
})

const clientRuntime = (databaseUrl: string) =>
  ManagedRuntime.make(ClusterRuntime.layer({ sharding: benchSharding }).pipe(Layer.provide(pg(databaseUrl)), Layer.orDie))

export const benchmark: Benchmark = {
  name: "cluster",
  run: async ({ quick }): Promise<Section> => {
    const title = "Cluster: ClusterRuntime (@effect/cluster + Postgres) vs LocalRuntime and DistributedRuntime"
    const server = process.env["AIXFX_CLUSTER_PG_URL"]
    if (server === undefined || server === "") {
      const line = "skipped: AIXFX_CLUSTER_PG_URL is not set (packages/cluster/scripts/postgres.sh start prints a URL to export)"
      console.log(`(cluster: ${line})`)
      return { title, rows: [], notes: [line] }
    }
    const n = quick ? 200 : 2000
    const warmUp = quick ? 100 : 1000
    return withDatabase(server, async (databaseUrl) => {
      const local = ManagedRuntime.make(AgentRuntime.layerAgents(echo).pipe(Layer.provideMerge(LocalRuntime.layer()), Layer.orDie))
      const grpc = ManagedRuntime.make(
        Layer.scoped(
          AgentRuntime.AgentRuntime,
          Effect.gen(function* () {
            const serving = yield* Layer.build(AgentRuntime.layerAgents(echo).pipe(Layer.provideMerge(DistributedRuntime.layer({ listen: "127.0.0.1:0" }))))
            const endpoint = Context.get(serving, DistributedRuntime.Node).endpoint!
            return yield* DistributedRuntime.make({ peers: { echo: endpoint } })
          })
        ).pipe(Layer.orDie)
      )
      const port = await freePort()
      const inProcess = ManagedRuntime.make(
        AgentRuntime.layerAgents(echo).pipe(
          Layer.provideMerge(ClusterRuntime.layer({ runner: { host: "127.0.0.1", port }, sharding: benchSharding })),
          Layer.provide(pg(databaseUrl)),
          Layer.orDie
        )
      )
      const rows: Array<Record<string, string | number>> = []
      const notes: Array<string> = [
        `${n} sequential echo calls after ${warmUp} unmeasured; shardLockExpiration 6 s, refreshAssignmentsInterval 1 s, 60 shards.`
      ]
      let baseline: ReadonlyArray<number> = []
      try {
        baseline = await latencies(local, n, warmUp)
        rows.push(latencyRow("LocalRuntime call (baseline)", baseline, baseline))
        rows.push(latencyRow("DistributedRuntime call (gRPC over loopback, both nodes in this process)", await latencies(grpc, n, warmUp), baseline))
        rows.push(latencyRow("ClusterRuntime call, agent on this runner (through the sharding)", await latencies(inProcess, n, warmUp), baseline))
      } finally {
        await Promise.all([local.dispose(), grpc.dispose(), inProcess.dispose()])
      }
      if (quick) {
        notes.push("Quick mode: in-process figures only; the runner-process figures (throughput on 1 vs 3 runners, failover) run in full mode.")
        return { title, rows, notes }
      }

      const runners = [await startRunner(databaseUrl)]
      const client = clientRuntime(databaseUrl)
      try {
        rows.push(latencyRow("ClusterRuntime call, client process -> runner process", await latencies(client, n, warmUp), baseline))
        await burst(client, 1000, 50) // warm
        const one = await burst(client, 1000, 50)
        runners.push(await startRunner(databaseUrl), await startRunner(databaseUrl))
        await new Promise((resolve) => setTimeout(resolve, 5000)) // shards settle over the three
        await burst(client, 1000, 50)
        const three = await burst(client, 1000, 50)
        rows.push({ measure: "1,000 concurrent 50 ms calls, 1 runner", "wall s": round(one, 2), "calls/s": Math.round(1000 / one) })
        rows.push({ measure: "1,000 concurrent 50 ms calls, 3 runners", "wall s": round(three, 2), "calls/s": Math.round(1000 / three), "vs 1 runner": ratio(one, three) })

        // Failover: 200 calls of 2 s in flight, SIGKILL one runner 0.5 s in; the last call to end
        // (one the dead runner held, re-sent to the shard's new owner) bounds the failover time.
        const calls = client.runPromise(
          Effect.forEach(Array.from({ length: 200 }, () => Message.make("2000")), (m) => AgentRuntime.call("sleep", m), { concurrency: "unbounded" })
        )
        await new Promise((resolve) => setTimeout(resolve, 500))
        const killedAt = performance.now()
        await stop(runners[0]!, "SIGKILL")
        await calls
        const failover = (performance.now() - killedAt) / 1000 - 1.5
        rows.push({ measure: "SIGKILLed runner: its in-flight calls done on another runner after", "wall s": round(failover, 2) })
        notes.push(
          "Throughput: one client process; runners are separate node processes, so on 2 cores they share the CPUs with the client.",
          "Failover: the time from SIGKILL until the last of 200 in-flight 2 s calls completed, minus the 1.5 s those calls still had to run."
        )
      } finally {
        await client.dispose()
        await Promise.all(runners.map((runner) => stop(runner)))
      }
      return { title, rows, notes }
    })
  }
}
