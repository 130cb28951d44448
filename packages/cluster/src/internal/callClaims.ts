/**
 * At-most-once agent calls on a cluster. A call can reach a runner twice: the caller sends it again
 * when its shard moved while it ran, and the cluster's client re-sends requests to a runner that
 * went away. So the runner serving a call first claims its id in Postgres (`aixfx_cluster_calls`):
 * - the first delivery claims it, runs the agent and stores the outcome;
 * - a later delivery runs nothing: it answers with the stored outcome, waiting for it while the
 *   first one is still running (a runner draining its shards on SIGTERM);
 * - a delivery interrupted before the agent finished (its shard moved) gives the claim back, so the
 *   call runs on the shard's new owner; the interrupted run never completed.
 * A claim whose runner died mid-call stays without an outcome: a later delivery fails typed after
 * `wait` (the call may have half-run; it is not run again).
 */
import { AgentError, type CoreAgentError, Message, TransportError } from "@aixfx/core"
import type { SqlClient } from "@effect/sql"
import { Cause, Duration, Effect, Exit, Schedule, Schema } from "effect"
import { migrate } from "./migrations.js"

const tables = [
  `CREATE TABLE IF NOT EXISTS aixfx_cluster_calls (
     call_id text PRIMARY KEY,
     agent text NOT NULL,
     runner text NOT NULL,
     outcome text,
     started_at timestamptz NOT NULL DEFAULT now())`
]

const Outcome = Schema.parseJson(Schema.Exit({ success: Message.Message, failure: AgentError, defect: Schema.Defect }))
const encodeOutcome = Schema.encode(Outcome)
const decodeOutcome = Schema.decode(Outcome)

/** Claims older than this are deleted (no delivery of a call arrives that late). */
const keepFor = "1 hour"

/** Postgres briefly unreachable (a restart): retry, then the call dies (the caller sees TransportError). */
const retried = <A, E>(effect: Effect.Effect<A, E>) =>
  effect.pipe(Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("2 seconds")), Schedule.upTo("2 minutes"))), Effect.orDie)

export interface Claims {
  readonly once: (callId: string, agent: string, run: Effect.Effect<Message.Message, CoreAgentError>) => Effect.Effect<Message.Message, CoreAgentError>
}

export const make = (sql: SqlClient.SqlClient, runner: string, wait: Duration.Duration) =>
  Effect.gen(function* () {
    yield* migrate(sql, tables)
    yield* sql`DELETE FROM aixfx_cluster_calls WHERE started_at < now() - ${keepFor}::interval`.pipe(
      Effect.ignore,
      Effect.repeat(Schedule.spaced("1 minute")),
      Effect.forkScoped
    )

    const claim = (callId: string, agent: string) =>
      retried(sql`INSERT INTO aixfx_cluster_calls (call_id, agent, runner) VALUES (${callId}, ${agent}, ${runner})
        ON CONFLICT (call_id) DO NOTHING RETURNING call_id`).pipe(Effect.map((rows) => rows.length === 1))

    const settle = (callId: string, exit: Exit.Exit<Message.Message, CoreAgentError>) =>
      Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
        ? retried(sql`DELETE FROM aixfx_cluster_calls WHERE call_id = ${callId} AND outcome IS NULL`)
        : encodeOutcome(exit).pipe(
          // An application's own error has no schema here (nor on the wire): stored as what it said.
          Effect.orElse(() => encodeOutcome(Exit.die(Cause.pretty(exit._tag === "Failure" ? exit.cause : Cause.empty)))),
          Effect.orDie,
          Effect.flatMap((outcome) => retried(sql`UPDATE aixfx_cluster_calls SET outcome = ${outcome} WHERE call_id = ${callId}`))
        )

    const run = (callId: string, live: Effect.Effect<Message.Message, CoreAgentError>) =>
      Effect.uninterruptibleMask((restore) => Effect.flatMap(Effect.exit(restore(live)), (exit) => Effect.zipRight(settle(callId, exit), exit)))

    /** The outcome of a call another delivery claimed: polled until stored, the claim freed, or `wait` passed. */
    const awaitOutcome = (callId: string, agent: string): Effect.Effect<"free" | Exit.Exit<Message.Message, CoreAgentError>> =>
      Effect.gen(function* () {
        const deadline = Date.now() + Duration.toMillis(wait)
        while (Date.now() < deadline) {
          const rows = yield* retried(sql<{ outcome: string | null; runner: string }>`SELECT outcome, runner FROM aixfx_cluster_calls WHERE call_id = ${callId}`)
          if (rows.length === 0) return "free" as const
          if (rows[0]!.outcome !== null) return yield* Effect.orDie(decodeOutcome(rows[0]!.outcome))
          yield* Effect.sleep("100 millis")
        }
        const [row] = yield* retried(sql<{ runner: string }>`SELECT runner FROM aixfx_cluster_calls WHERE call_id = ${callId}`)
        return Exit.fail(
          new TransportError({
            agent,
            endpoint: "cluster",
            code: "CallAbandoned",
            message: `Cluster call ${callId} to agent "${agent}" started on runner ${row?.runner ?? "(unknown)"}, which did not finish it within ${
              Duration.format(wait)
            } (it stopped or died); it is not run again (at-most-once)`
          })
        )
      })

    const once: Claims["once"] = (callId, agent, live) =>
      Effect.gen(function* () {
        for (;;) {
          if (yield* claim(callId, agent)) return yield* run(callId, live)
          const outcome = yield* awaitOutcome(callId, agent)
          if (outcome !== "free") return yield* outcome
        }
      })
    return { once } satisfies Claims
  })
