/**
 * At-most-once agent calls on a cluster. A call can reach a runner twice: the caller sends it again
 * when its shard moved while it ran, and the cluster's client re-sends requests to a runner that
 * went away. So the runner serving a call first claims its id in Postgres (`aixfx_cluster_calls`):
 * - the first delivery claims it and runs the agent in a fiber of the runner (not of the entity),
 *   so a shard moving away does not cut the agent short; its outcome is stored when it ends;
 * - a later delivery, on any runner, runs nothing: it answers with the stored outcome, waiting for
 *   it while the claim's agent runs (its runner marks the claims it runs every few seconds);
 * - a claim whose runner died mid-call (no mark for `abandonAfter`) fails the waiting delivery
 *   typed: the call may have half-run, it is not run again;
 * - when the runner stops (SIGTERM), the calls it runs get `grace` to finish; one still running
 *   then is interrupted and its outcome is that typed failure, never a second run.
 * Only the caller giving up (its timeout or interrupt, while this runner still owns the shard)
 * interrupts the agent.
 */
import { AgentError, type CoreAgentError, Message, TransportError } from "@aixfx/core"
import type { SqlClient } from "@effect/sql"
import { Cause, Duration, Effect, Exit, Fiber, FiberSet, Option, Schedule, Schema, Scope } from "effect"
import { migrate } from "./migrations.js"

const tables = [
  `CREATE TABLE IF NOT EXISTS aixfx_cluster_calls (
     call_id text PRIMARY KEY,
     agent text NOT NULL,
     runner text NOT NULL,
     outcome text,
     started_at timestamptz NOT NULL DEFAULT now())`,
  `ALTER TABLE aixfx_cluster_calls ADD COLUMN IF NOT EXISTS alive_at timestamptz NOT NULL DEFAULT now()`
]

const Outcome = Schema.parseJson(Schema.Exit({ success: Message.Message, failure: AgentError, defect: Schema.Defect }))
const encodeOutcome = Schema.encode(Outcome)
const decodeOutcome = Schema.decode(Outcome)

/** Claims older than this are deleted (no delivery of a call arrives that late). */
const keepFor = "1 hour"
/** How often a runner marks its running claims alive. */
const touchEvery = Duration.seconds(3)

/** Postgres briefly unreachable (a restart): retry, then the call dies (the caller sees TransportError). */
const retried = <A, E>(effect: Effect.Effect<A, E>) =>
  effect.pipe(Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("2 seconds")), Schedule.upTo("2 minutes"))), Effect.orDie)

const abandoned = (callId: string, agent: string, runner: string, why: string) =>
  new TransportError({
    agent,
    endpoint: "cluster",
    code: "CallAbandoned",
    message: `Cluster call ${callId} to agent "${agent}" started on runner ${runner}, which ${why}; it may have half-run and is not run again (at-most-once)`
  })

export interface Claims {
  /**
   * Runs `live` once for `callId` across the cluster. `callerGaveUp` tells, when this delivery is
   * interrupted, whether its caller did it (then the agent is interrupted too) or the cluster did
   * (shard moved, runner stopping: the agent runs on and its outcome is stored).
   */
  readonly once: (
    callId: string,
    agent: string,
    live: Effect.Effect<Message.Message, CoreAgentError>,
    callerGaveUp: Effect.Effect<boolean>
  ) => Effect.Effect<Message.Message, CoreAgentError>
}

/**
 * `runner` names this process (address and a per-process token: a runner restarted on the same
 * address is another claimant). Build it in the scope that closes after the entities drained.
 */
export const make = (sql: SqlClient.SqlClient, runner: string, options: { readonly abandonAfter: Duration.Duration; readonly grace: Duration.Duration }) =>
  Effect.gen(function* () {
    yield* migrate(sql, tables)
    yield* sql`DELETE FROM aixfx_cluster_calls WHERE started_at < now() - ${keepFor}::interval`.pipe(
      Effect.ignore,
      Effect.repeat(Schedule.spaced("1 minute")),
      Effect.forkScoped
    )
    // Only the claims whose agent runs here now are marked alive: a claim with no fiber behind it
    // (whatever happened to it) goes silent, and its waiters fail typed instead of waiting forever.
    const runningIds = new Set<string>()
    yield* Effect.suspend(() =>
      runningIds.size === 0 ? Effect.void : sql`UPDATE aixfx_cluster_calls SET alive_at = now() WHERE call_id IN ${sql.in([...runningIds])}`
    ).pipe(
      Effect.ignore,
      Effect.repeat(Schedule.spaced(touchEvery)),
      Effect.forkScoped
    )

    // The agents' fibers. On close (after the entities drained): `grace` for them to finish, then interrupted.
    const running = yield* FiberSet.make<Message.Message, CoreAgentError>()
    yield* Effect.addFinalizer(() =>
      FiberSet.awaitEmpty(running).pipe(Effect.timeoutOption(options.grace), Effect.zipRight(FiberSet.clear(running)))
    )
    const scope = yield* Effect.scope

    const claim = (callId: string, agent: string) =>
      retried(sql`INSERT INTO aixfx_cluster_calls (call_id, agent, runner) VALUES (${callId}, ${agent}, ${runner})
        ON CONFLICT (call_id) DO NOTHING RETURNING call_id`).pipe(Effect.map((rows) => rows.length === 1))

    const settle = (callId: string, agent: string, exit: Exit.Exit<Message.Message, CoreAgentError>) => {
      const stored: Exit.Exit<Message.Message, CoreAgentError> = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
        ? Exit.fail(abandoned(callId, agent, runner, "was interrupted before the agent finished (the runner stopped or its caller gave up)"))
        : exit
      return encodeOutcome(stored).pipe(
        // An application's own error has no schema here (nor on the wire): stored as what it said.
        Effect.orElse(() => encodeOutcome(Exit.die(Cause.pretty(stored._tag === "Failure" ? stored.cause : Cause.empty)))),
        Effect.orDie,
        Effect.flatMap((outcome) => retried(sql`UPDATE aixfx_cluster_calls SET outcome = ${outcome} WHERE call_id = ${callId}`))
      )
    }

    /** The agent in a fiber of this runner, its outcome stored whatever happens to the delivery. */
    const start = (callId: string, agent: string, live: Effect.Effect<Message.Message, CoreAgentError>) =>
      Effect.suspend(() => {
        runningIds.add(callId)
        return FiberSet.run(
          running,
          // Forked inside the uninterruptible claim step: the agent itself must stay interruptible.
          Effect.onExit(Effect.interruptible(live), (exit) => Effect.ensuring(settle(callId, agent, exit), Effect.sync(() => runningIds.delete(callId))))
        )
      }).pipe(Scope.extend(scope))

    /** The outcome of a call another delivery claimed: polled until stored, or its runner stopped touching it. */
    const awaitOutcome = (callId: string, agent: string): Effect.Effect<Exit.Exit<Message.Message, CoreAgentError>> =>
      Effect.gen(function* () {
        for (;;) {
          const [row] = yield* retried(sql<{ outcome: string | null; runner: string; silent_ms: number }>`
            SELECT outcome, runner, (extract(epoch from now() - alive_at) * 1000)::float8 AS silent_ms
            FROM aixfx_cluster_calls WHERE call_id = ${callId}`)
          if (row === undefined) return Exit.fail(abandoned(callId, agent, "(unknown)", "left no trace of it"))
          if (row.outcome !== null) return yield* Effect.orDie(decodeOutcome(row.outcome))
          if (Number(row.silent_ms) > Duration.toMillis(options.abandonAfter)) {
            return Exit.fail(abandoned(callId, agent, row.runner, `stopped answering for ${Duration.format(options.abandonAfter)} (it died)`))
          }
          yield* Effect.sleep("100 millis")
        }
      })

    const once: Claims["once"] = (callId, agent, live, callerGaveUp) =>
      Effect.gen(function* () {
        // Claimed and started as one step: a delivery interrupted in between would leave a claim no agent runs.
        const fiber = yield* Effect.uninterruptible(
          Effect.flatMap(claim(callId, agent), (claimed) => (claimed ? Effect.asSome(start(callId, agent, live)) : Effect.succeedNone))
        )
        if (Option.isNone(fiber)) return yield* Effect.flatten(awaitOutcome(callId, agent))
        return yield* Fiber.join(fiber.value).pipe(
          Effect.onInterrupt(() => Effect.flatMap(callerGaveUp, (gaveUp) => (gaveUp ? Fiber.interrupt(fiber.value) : Effect.void)))
        )
      })
    return { once } satisfies Claims
  })
