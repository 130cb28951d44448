import { Duration } from "effect"

/** The same on every process of the bench's cluster: failover after ~6-7 s instead of ~35 s. */
export const benchSharding = {
  shardsPerGroup: 60,
  shardLockExpiration: Duration.seconds(6),
  refreshAssignmentsInterval: Duration.seconds(1)
}
