/**
 * Shared test settings: one sharding config for every process of a test cluster (it must be the
 * same everywhere), free 127.0.0.1 ports, and a wait for a runner to hold its shards.
 */
import { ShardId } from "@effect/cluster"
import type { ClusterRuntime } from "@aixfx/cluster"
import { Clock, Duration, Effect } from "effect"
import { createServer } from "node:net"

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
