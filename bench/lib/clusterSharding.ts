import { AgentRuntime, Message } from "@aixfx/core"
import { Duration, Effect } from "effect"

/**
 * The same on every process of the bench's cluster: failover after ~6-7 s instead of ~35 s. The
 * failover measure varies `shardLockExpiration` through SHARD_LOCK_EXPIRATION_MS (runners and client alike).
 */
export const benchSharding = (lockExpirationMs = Number(process.env["SHARD_LOCK_EXPIRATION_MS"] ?? 6000)) => ({
  shardsPerGroup: 60,
  shardLockExpiration: Duration.millis(lockExpirationMs),
  refreshAssignmentsInterval: Duration.seconds(1)
})

/** The durable workflow of the failover measure: 400 journaled calls of the `step` agent, one after the other. */
export const failoverWorkflow = Effect.forEach(Array.from({ length: 400 }, (_, i) => i + 1), (i) => AgentRuntime.call("step", Message.make(String(i))), {
  discard: true
})
