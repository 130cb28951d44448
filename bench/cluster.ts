/**
 * 7. Cluster: ClusterRuntime (@effect/cluster on Postgres) against LocalRuntime and
 * DistributedRuntime (gRPC) measured in the same run: per-call latency; in full mode also the
 * throughput of 1,000 concurrent 50 ms calls on 1 vs 3 runner processes, and how long a SIGKILLed
 * runner's durable run takes to make its next step on another runner, for two shardLockExpiration
 * values. Uses the Postgres at AIXFX_CLUSTER_PG_URL; without it, starts a throwaway one with
 * packages/cluster/scripts/postgres.sh (and stops it), or is skipped when Postgres 15 is not installed.
 */
import { ClusterDurable, ClusterRuntime } from "@aixfx/cluster"
import { Agent, AgentRuntime, DistributedRuntime, LocalRuntime, Message, Workflow } from "@aixfx/core"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createServer } from "node:net"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import type { Benchmark, Section } from "./lib/Benchmark.js"
import { benchSharding, failoverWorkflow } from "./lib/clusterSharding.js"
import { quantile, ratio, round } from "./lib/measure.js"

const runnerFile = fileURLToPath(new URL("./lib/clusterRunner.ts", import.meta.url))
const postgresScript = fileURLToPath(new URL("../packages/cluster/scripts/postgres.sh", import.meta.url))
const postgresBin = process.env["PGBIN"] ?? "/usr/lib/postgresql/15/bin"
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

/** A throwaway Postgres (postgres.sh) for the whole benchmark, stopped after `use`. */
const withThrowawayPostgres = async <A>(use: (server: string) => Promise<A>): Promise<A> => {
  const dir = mkdtempSync(join(tmpdir(), "aixfx-bench-pg-"))
  const env = { ...process.env, AIXFX_PG_STATE: join(dir, "state") }
  try {
    const server = execFileSync(postgresScript, ["start", String(await freePort())], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim()
    return await use(server)
  } finally {
    execFileSync(postgresScript, ["stop"], { env, stdio: "inherit" })
    rmSync(dir, { recursive: true, force: true })
  }
}

const startRunner = async (databaseUrl: string, lockExpirationMs = 6000): Promise<Runner> => {
  const port = await freePort()
  const child = spawn(process.execPath, [...process.execArgv, runnerFile], {
    env: { ...process.env, DATABASE_URL: databaseUrl, RUNNER_PORT: String(port), SHARD_LOCK_EXPIRATION_MS: String(lockExpirationMs) },
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

const latencyRow = (name: string, taken: ReadonlyArray<number>, baseline: ReadonlyArray<number>, grpc?: ReadonlyArray<number>) => ({
  measure: name,
  "p50 ms": round(quantile(taken, 0.5), 3),
  "p99 ms": round(quantile(taken, 0.99), 3),
  "p50 vs Local": ratio(quantile(taken, 0.5), quantile(baseline, 0.5)),
  ...(grpc === undefined ? {} : { "p50 vs gRPC": ratio(quantile(taken, 0.5), quantile(grpc, 0.5)) })
})

const clientRuntime = (databaseUrl: string, lockExpirationMs = 6000) =>
  ManagedRuntime.make(
    ClusterDurable.layer({ workflows: { failover: failoverWorkflow } }).pipe(
      Layer.provideMerge(ClusterRuntime.layer({ sharding: benchSharding(lockExpirationMs) })),
      Layer.provideMerge(pg(databaseUrl)),
      Layer.orDie
    )
  )

/**
 * Failover of a durable run: three runners; the client starts the 400-step `failover` run, and
 * once a few steps are done SIGKILLs the runner executing it. Measured: from the kill to the first
 * step another runner records (it resumed the run from the journal after the dead runner's shard
 * lock expired). Seconds.
 */
const durableFailover = (server: string, lockExpirationMs: number) =>
  withDatabase(server, async (databaseUrl) => {
    const runners = await Promise.all([0, 1, 2].map(() => startRunner(databaseUrl, lockExpirationMs)))
    const client = clientRuntime(databaseUrl, lockExpirationMs)
    const steps = (text: string) => client.runPromise(Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe<{ pid: number; at_ms: number }>(text)))
    const waitFor = async (text: string, what: string) => {
      const deadline = Date.now() + 180_000
      for (;;) {
        const [row] = await steps(text)
        if (row !== undefined) return row
        if (Date.now() > deadline) throw new Error(`cluster failover: ${what} not seen within 180 s`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000)) // shards settle over the three
      void client.runPromise(Effect.ignore(Workflow.run("failover", { runId: "failover-1" })(failoverWorkflow)))
      const first = await waitFor("SELECT pid, at_ms FROM bench_steps WHERE step >= 5 ORDER BY at_ms LIMIT 1", "the run's fifth step")
      const victim = runners.find((r) => r.child.pid === Number(first.pid))
      if (victim === undefined) throw new Error(`cluster failover: pid ${first.pid} ran the steps but is none of the runners`)
      const killedAt = Date.now()
      await stop(victim, "SIGKILL")
      const next = await waitFor(`SELECT pid, at_ms FROM bench_steps WHERE pid <> ${Number(first.pid)} ORDER BY at_ms LIMIT 1`, "a step on another runner")
      return (Number(next.at_ms) - killedAt) / 1000
    } finally {
      await client.dispose()
      await Promise.all(runners.map((runner) => stop(runner)))
    }
  })

export const benchmark: Benchmark = {
  name: "cluster",
  run: async ({ quick }): Promise<Section> => {
    const title = "Cluster: ClusterRuntime (@effect/cluster + Postgres) vs LocalRuntime and DistributedRuntime"
    const given = process.env["AIXFX_CLUSTER_PG_URL"]
    if ((given === undefined || given === "") && !existsSync(join(postgresBin, "initdb"))) {
      const line = `skipped: AIXFX_CLUSTER_PG_URL is not set and no Postgres 15 at ${postgresBin} to start one (apt-get install postgresql, or set PGBIN)`
      console.log(`(cluster: ${line})`)
      return { title, rows: [], notes: [line] }
    }
    const measure = (server: string) => measureOn(server, quick, title)
    return given === undefined || given === "" ? withThrowawayPostgres(measure) : measure(given)
  }
}

const measureOn = async (server: string, quick: boolean, title: string): Promise<Section> => {
  const n = quick ? 200 : 2000
  const warmUp = quick ? 100 : 1000
  const rows: Array<Record<string, string | number>> = []
  const notes: Array<string> = [
    `${n} sequential echo calls after ${warmUp} unmeasured; shardLockExpiration 6 s (unless said), refreshAssignmentsInterval 1 s, 60 shards; calls at-most-once (a claim in Postgres each).`
  ]
  let baseline: ReadonlyArray<number> = []
  let overGrpc: ReadonlyArray<number> = []
  await withDatabase(server, async (databaseUrl) => {
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
        Layer.provideMerge(ClusterRuntime.layer({ runner: { host: "127.0.0.1", port }, sharding: benchSharding() })),
        Layer.provide(pg(databaseUrl)),
        Layer.orDie
      )
    )
    try {
      baseline = await latencies(local, n, warmUp)
      overGrpc = await latencies(grpc, n, warmUp)
      rows.push(latencyRow("LocalRuntime call (baseline)", baseline, baseline))
      rows.push(latencyRow("DistributedRuntime call (gRPC over loopback, both nodes in this process)", overGrpc, baseline))
      rows.push(latencyRow("ClusterRuntime call, agent on this runner (through the sharding)", await latencies(inProcess, n, warmUp), baseline, overGrpc))
    } finally {
      await Promise.all([local.dispose(), grpc.dispose(), inProcess.dispose()])
    }
    if (quick) return

    const runners = [await startRunner(databaseUrl)]
    const client = clientRuntime(databaseUrl)
    try {
      rows.push(latencyRow("ClusterRuntime call, client process -> runner process", await latencies(client, n, warmUp), baseline, overGrpc))
      await burst(client, 1000, 50) // warm
      const one = await burst(client, 1000, 50)
      runners.push(await startRunner(databaseUrl), await startRunner(databaseUrl))
      await new Promise((resolve) => setTimeout(resolve, 5000)) // shards settle over the three
      await burst(client, 1000, 50)
      const three = await burst(client, 1000, 50)
      rows.push({ measure: "1,000 concurrent 50 ms calls, 1 runner", "wall s": round(one, 2), "calls/s": Math.round(1000 / one) })
      rows.push({ measure: "1,000 concurrent 50 ms calls, 3 runners", "wall s": round(three, 2), "calls/s": Math.round(1000 / three), "vs 1 runner": ratio(one, three) })
    } finally {
      await client.dispose()
      await Promise.all(runners.map((runner) => stop(runner)))
    }
  })
  if (quick) {
    notes.push("Quick mode: in-process figures only; the runner-process figures (throughput on 1 vs 3 runners, failover) run in full mode.")
    return { title, rows, notes }
  }
  for (const lockExpirationMs of [3000, 10000]) {
    const seconds = await durableFailover(server, lockExpirationMs)
    rows.push({ measure: `SIGKILLed runner: its durable run's next step on another runner after (shardLockExpiration ${lockExpirationMs / 1000} s)`, "wall s": round(seconds, 2) })
  }
  notes.push(
    "Throughput: one client process; runners are separate node processes, so on 2 cores they share the CPUs with the client.",
    "Failover: three runners, a durable run of 400 steps (an agent call of 100 ms each, journaled); the runner executing it is SIGKILLed after its fifth step; measured from the kill to the first step another runner records (its shard lock expired, it took the shard, replayed the journal and ran the step). The floor is shardLockExpiration plus up to one refreshAssignmentsInterval."
  )
  return { title, rows, notes }
}
