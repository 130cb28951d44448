/**
 * 7. Cluster: ClusterRuntime (@effect/cluster on Postgres) against LocalRuntime and
 * DistributedRuntime (gRPC) measured in the same run: per-call latency (at-most-once and
 * at-least-once delivery); in full mode also the
 * throughput of 1,000 concurrent 50 ms calls on 1 vs 3 runner processes, and how long a SIGKILLed
 * runner's durable run takes to make its next step on another runner, for two shardLockExpiration
 * values. Uses the Postgres at AIXFX_CLUSTER_PG_URL; without it, starts a throwaway one with
 * packages/cluster/scripts/postgres.sh (and stops it), or is skipped when Postgres 15 is not installed.
 * Runner processes and that Postgres are stopped however the bench ends (lib/exitCleanup).
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
import { onExit } from "./lib/exitCleanup.js"
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

/**
 * A throwaway Postgres (postgres.sh) for the whole benchmark, stopped after `use`, or when the
 * bench process ends some other way (see lib/exitCleanup).
 */
const withThrowawayPostgres = async <A>(use: (server: string) => Promise<A>): Promise<A> => {
  const dir = mkdtempSync(join(tmpdir(), "aixfx-bench-pg-"))
  const env = { ...process.env, AIXFX_PG_STATE: join(dir, "state") }
  const stopPostgres = () => {
    execFileSync(postgresScript, ["stop"], { env, stdio: "inherit" })
    rmSync(dir, { recursive: true, force: true })
  }
  const forget = onExit(stopPostgres)
  try {
    const server = execFileSync(postgresScript, ["start", String(await freePort())], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim()
    return await use(server)
  } finally {
    forget()
    stopPostgres()
  }
}

/**
 * A runner process, SIGKILLed by its PID if the bench process ends before stopping it. Its stdin is
 * a pipe from this process: the runner stops itself when that closes (the bench was SIGKILLed).
 */
const startRunner = async (databaseUrl: string, lockExpirationMs = 6000): Promise<Runner> => {
  const port = await freePort()
  const child = spawn(process.execPath, [...process.execArgv, runnerFile], {
    env: { ...process.env, DATABASE_URL: databaseUrl, RUNNER_PORT: String(port), SHARD_LOCK_EXPIRATION_MS: String(lockExpirationMs) },
    stdio: ["pipe", "pipe", "ignore"]
  })
  const forget = onExit(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL")
  })
  child.once("exit", forget)
  const runner = { child, port }
  try {
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
  } catch (error) {
    await stop(runner, "SIGKILL")
    throw error
  }
  return runner
}

/** `count` runners started together; if one fails, the others are stopped too. */
const startRunners = async (count: number, databaseUrl: string, lockExpirationMs?: number): Promise<Array<Runner>> => {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startRunner(databaseUrl, lockExpirationMs)))
  const runners = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []))
  const failed = started.find((result) => result.status === "rejected")
  if (failed === undefined) return runners
  await Promise.all(runners.map((runner) => stop(runner, "SIGKILL")))
  throw failed.reason
}

/** Stops a runner by its PID; a runner still draining after 30 s of SIGTERM is SIGKILLed. */
const stop = (runner: Runner, signal: NodeJS.Signals = "SIGTERM") =>
  new Promise<void>((resolve) => {
    if (runner.child.exitCode !== null || runner.child.signalCode !== null) return resolve()
    const timer = signal === "SIGKILL" ? undefined : setTimeout(() => process.kill(runner.child.pid!, "SIGKILL"), 30_000)
    runner.child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    process.kill(runner.child.pid!, signal)
  })

/**
 * Waits until `count` runners hold all the shards between them, each some: a runner holds a shard
 * with a Postgres advisory lock, so this counts the granted ones per backend in this database.
 */
const shardsSettled = async (client: ManagedRuntime.ManagedRuntime<PgClient.PgClient, unknown>, count: number) => {
  const shards = benchSharding().shardsPerGroup
  const deadline = Date.now() + 120_000
  for (;;) {
    const held = await client.runPromise(
      Effect.flatMap(PgClient.PgClient, (sql) =>
        sql.unsafe<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY pid"
        ))
    )
    if (held.length === count && held.reduce((sum, row) => sum + row.n, 0) === shards) return
    if (Date.now() > deadline) throw new Error(`cluster: ${shards} shards not settled over ${count} runners within 120 s (held: ${held.map((row) => row.n).join("/")})`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

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

/**
 * Seconds for 1,000 concurrent 50 ms calls: the faster of two bursts after one unmeasured (the
 * first burst on fresh runners is 3-4x slower: connection pools, JIT).
 */
const warmThenBest = async (runtime: ManagedRuntime.ManagedRuntime<AgentRuntime.AgentRuntime, unknown>) => {
  await burst(runtime, 1000, 50)
  return Math.min(await burst(runtime, 1000, 50), await burst(runtime, 1000, 50))
}

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
    const runners = await startRunners(3, databaseUrl, lockExpirationMs)
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
      await shardsSettled(client, 3)
      // Not awaited: closing the client below ends this wait with an interrupt (the run lives on
      // in the runners until the database is dropped). runPromiseExit resolves with it: as a
      // rejection it was unhandled and killed the bench before it stopped runners and Postgres.
      void client.runPromiseExit(Workflow.run("failover", { runId: "failover-1" })(failoverWorkflow))
      const first = await waitFor("SELECT pid, at_ms FROM bench_steps WHERE step >= 5 ORDER BY at_ms LIMIT 1", "the run's fifth step")
      const victim = runners.find((r) => r.child.pid === Number(first.pid))
      if (victim === undefined) throw new Error(`cluster failover: pid ${first.pid} ran the steps but is none of the runners`)
      const killedAt = Date.now()
      await stop(victim, "SIGKILL")
      const next = await waitFor(`SELECT pid, at_ms FROM bench_steps WHERE pid <> ${Number(first.pid)} ORDER BY at_ms LIMIT 1`, "a step on another runner")
      return (Number(next.at_ms) - killedAt) / 1000
    } finally {
      await client.dispose()
      // SIGKILL: a graceful stop would first drain the run they carry (entityTerminationTimeout),
      // and that run is dropped with its database anyway.
      await Promise.all(runners.map((runner) => stop(runner, "SIGKILL")))
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

/** Latencies of calls to `echo` hosted by a ClusterRuntime runner in this process, on a fresh database. */
const inProcessLatencies = (server: string, delivery: ClusterRuntime.Options["delivery"], n: number, warmUp: number) =>
  withDatabase(server, async (databaseUrl) => {
    const runtime = ManagedRuntime.make(
      AgentRuntime.layerAgents(echo).pipe(
        Layer.provideMerge(ClusterRuntime.layer({ runner: { host: "127.0.0.1", port: await freePort() }, sharding: benchSharding(), delivery })),
        Layer.provide(pg(databaseUrl)),
        Layer.orDie
      )
    )
    try {
      return await latencies(runtime, n, warmUp)
    } finally {
      await runtime.dispose()
    }
  })

const measureOn = async (server: string, quick: boolean, title: string): Promise<Section> => {
  const n = quick ? 200 : 1000
  const warmUp = quick ? 100 : 300
  const rows: Array<Record<string, string | number>> = []
  const notes: Array<string> = [
    `${n} sequential echo calls after ${warmUp} unmeasured; shardLockExpiration 6 s (unless said), refreshAssignmentsInterval 1 s, 60 shards; calls at-most-once (the default: a claim in Postgres each, two writes per call) unless said.`
  ]
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
  let baseline: ReadonlyArray<number> = []
  let overGrpc: ReadonlyArray<number> = []
  try {
    baseline = await latencies(local, n, warmUp)
    overGrpc = await latencies(grpc, n, warmUp)
  } finally {
    await Promise.all([local.dispose(), grpc.dispose()])
  }
  rows.push(latencyRow("LocalRuntime call (baseline)", baseline, baseline))
  rows.push(latencyRow("DistributedRuntime call (gRPC over loopback, both nodes in this process)", overGrpc, baseline))
  rows.push(latencyRow("ClusterRuntime call, agent on this runner (through the sharding)", await inProcessLatencies(server, "at-most-once", n, warmUp), baseline, overGrpc))
  rows.push(latencyRow("the same, delivery at-least-once (no claim in Postgres)", await inProcessLatencies(server, "at-least-once", n, warmUp), baseline, overGrpc))
  if (quick) {
    notes.push("Quick mode: in-process figures only; the runner-process figures (throughput on 1 vs 3 runners, failover) run in full mode.")
    return { title, rows, notes }
  }

  await withDatabase(server, async (databaseUrl) => {
    const runners = await startRunners(1, databaseUrl)
    const client = clientRuntime(databaseUrl)
    try {
      await shardsSettled(client, 1)
      rows.push(latencyRow("ClusterRuntime call, client process -> runner process", await latencies(client, n, warmUp), baseline, overGrpc))
      const one = await warmThenBest(client)
      runners.push(...(await startRunners(2, databaseUrl)))
      await shardsSettled(client, 3)
      const three = await warmThenBest(client)
      rows.push({ measure: "1,000 concurrent 50 ms calls, 1 runner", "wall s": round(one, 2), "calls/s": Math.round(1000 / one) })
      rows.push({ measure: "1,000 concurrent 50 ms calls, 3 runners", "wall s": round(three, 2), "calls/s": Math.round(1000 / three), "vs 1 runner": ratio(one, three) })
    } finally {
      await client.dispose()
      await Promise.all(runners.map((runner) => stop(runner)))
    }
  })
  for (const lockExpirationMs of [3000, 10000]) {
    const seconds = await durableFailover(server, lockExpirationMs)
    rows.push({ measure: `SIGKILLed runner: its durable run's next step on another runner after (shardLockExpiration ${lockExpirationMs / 1000} s)`, "wall s": round(seconds, 2) })
  }
  notes.push(
    "Throughput: one client process, at-most-once calls; the faster of two bursts after an unmeasured one, on runners holding all the shards between them; runners are separate node processes, so on 2 cores they share the CPUs with the client and Postgres.",
    "Failover: three runners, a durable run of 400 steps (an agent call of 100 ms each, journaled); the runner executing it is SIGKILLed after its fifth step; measured from the kill to the first step another runner records (it saw the dead runner's heartbeat older than shardLockExpiration, took the shard, replayed the journal and ran the step). That age counts from the dead runner's last heartbeat, not from the kill, so the time can be under shardLockExpiration; add up to one refreshAssignmentsInterval for noticing it."
  )
  return { title, rows, notes }
}
