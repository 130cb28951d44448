/**
 * Shared test settings: one sharding config for every process of a test cluster (it must be the
 * same everywhere), free 127.0.0.1 ports, and a wait for a runner to hold its shards.
 */
import { ShardId } from "@effect/cluster"
import { ClusterRuntime } from "@aixfx/cluster"
import type { AgentRuntime } from "@aixfx/core"
import { Clock, Duration, Effect, Layer, Schedule, type Scope } from "effect"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { type ChildFailed, type ChildNode, spawnNode } from "../../../core/test/fixtures/processes.js"
import { pgLayer } from "./postgres.js"

export const shardsPerGroup = 60

/** shardLockExpiration 6 s and assignments refreshed every second: failover in ~7 s. */
export const sharding = {
  shardsPerGroup,
  shardLockExpiration: Duration.seconds(6),
  refreshAssignmentsInterval: Duration.seconds(1),
  entityMessagePollInterval: Duration.seconds(1)
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

/** Waits (live clock, bounded) until this runner alone holds every shard of the default group. */
export const holdsAllShards = (node: ClusterRuntime.NodeInfo, within: Duration.DurationInput = "60 seconds") =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(within)
    for (;;) {
      let held = 0
      for (let id = 1; id <= shardsPerGroup; id++) if (node.sharding.hasShardId(ShardId.make("default", id))) held++
      if (held === shardsPerGroup) return
      if (Date.now() > deadline) return yield* Effect.dieMessage(`runner ${node.address} held ${held}/${shardsPerGroup} shards after ${Duration.format(within)}`)
      yield* Effect.sleep("100 millis")
    }
  }).pipe(Effect.withClock(Clock.make()))

const runnerScript = fileURLToPath(new URL("../fixtures/runner.ts", import.meta.url))
/** The runner with durable runs and the nested agents (test/fixtures/durableRunner.ts). */
export const durableRunnerScript = fileURLToPath(new URL("../fixtures/durableRunner.ts", import.meta.url))

export interface Runner extends ChildNode {
  readonly port: number
  readonly healthPort: number
}

/** Starts a runner process (test/fixtures/runner.ts unless `script`) on the database; killed by PID with the scope. */
export const startRunner = (
  databaseUrl: string,
  port?: number,
  script: string = runnerScript,
  env: Record<string, string> = {}
): Effect.Effect<Runner, ChildFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const runnerPort = port ?? (yield* Effect.promise(freePort))
    const healthPort = yield* Effect.promise(freePort)
    const child = yield* spawnNode(
      { ...env, DATABASE_URL: databaseUrl, RUNNER_PORT: String(runnerPort), HEALTH_PORT: String(healthPort), NODE_ID: `runner:${runnerPort}` },
      script,
      // Several runners compiling the sources with tsx at once on a loaded 2-core machine.
      "240 seconds"
    )
    return { ...child, port: runnerPort, healthPort }
  })

/** A client-only ClusterRuntime in this process (it hosts nothing, calls the runners). */
export const clientLayer = (databaseUrl: string): Layer.Layer<AgentRuntime.AgentRuntime | ClusterRuntime.Node> => ClusterRuntime.layer({ sharding }).pipe(Layer.provide(pgLayer(databaseUrl)))

/** Waits (bounded) until the runners hold every shard between them, each some: rebalancing is over. */
export const settled = (runners: ReadonlyArray<Runner>, within: Duration.DurationInput = "120 seconds") =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(within)
    let counts: ReadonlyArray<number> = []
    while (Date.now() < deadline) {
      counts = yield* Effect.forEach(runners, (runner) =>
        Effect.promise(() =>
          fetch(`http://127.0.0.1:${runner.healthPort}/healthz`).then(async (r) => ((await r.json()) as { shards: number }).shards, () => 0)
        )
      )
      if (counts.every((n) => n > 0) && counts.reduce((a, b) => a + b, 0) === shardsPerGroup) return
      yield* Effect.sleep("250 millis")
    }
    return yield* Effect.dieMessage(`shards did not settle over ${runners.length} runners within ${Duration.format(within)}: ${counts.join("/")}`)
  }).pipe(Effect.withClock(Clock.make()))

/** Waits (bounded) until `runner` holds some shards: it serves calls. */
export const holdsShards = (runner: Runner, within: Duration.DurationInput = "120 seconds") =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(within)
    while (Date.now() < deadline) {
      const shards = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${runner.healthPort}/healthz`).then(async (r) => ((await r.json()) as { shards: number }).shards, () => 0)
      )
      if (shards > 0) return
      yield* Effect.sleep("250 millis")
    }
    return yield* Effect.dieMessage(`runner 127.0.0.1:${runner.port} held no shard within ${Duration.format(within)}`)
  }).pipe(Effect.withClock(Clock.make()))

/** In a runner process: prints "READY <address>" once the cluster answers a routed request (what startRunner waits for). */
export const readyLine = (address: string) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const node = yield* ClusterRuntime.Node
      yield* node.ready("10 seconds").pipe(Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("200 millis") }))
      console.log(`READY ${address}`)
    }).pipe(Effect.forkScoped)
  )
