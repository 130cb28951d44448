/**
 * One execution of a durable run in this process: its journal (loaded when the execution starts),
 * the replay order, the step keys handed out, and the "workflow time" its messages are stamped with.
 */
import type { AgentError, Message } from "@aixfx/core"
import { Context, Deferred, type Duration, Effect, Exit, FiberId } from "effect"
import { createHash } from "node:crypto"
import { JournalMismatch } from "../DurableError.js"
import type { OutcomeCodec } from "./outcome.js"
import { Replay } from "./replay.js"
import type { StepRow, Store } from "./store.js"

/** A step's input as the journal fingerprints it, to notice code that now asks something else. */
const inputHash = (message: Message.Message): string => createHash("sha1").update(message.type).update("\0").update(message.payload).digest("base64url")

/** A UUID-shaped id derived from `seed` (so a replay makes the same one). */
export const derivedId = (seed: string): string => {
  const h = createHash("sha1").update(seed).digest("hex")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** Where on the run's tree a fiber is: the run, and the key of the step it runs inside ("" at the top). */
export class RunScope {
  private messages = 0
  constructor(readonly run: RunState, readonly key: string) {}
  /** The next message id and time at this place (see `Message.IdSource`). */
  readonly next = () => ({ id: derivedId(`${this.run.runId}|${this.key}|${this.messages++}`), timestamp: this.run.clock })
}

export class CurrentRunScope extends Context.Reference<CurrentRunScope>()("@aixfx/durable/CurrentRunScope", {
  defaultValue: (): RunScope | undefined => undefined
}) {}

/** Escapes the key separator in a name taken from user code. */
const segment = (name: string) => name.replace(/%/g, "%25").replace(/\//g, "%2F")

export class RunState {
  readonly replay: Replay
  private readonly journal: Map<string, StepRow>
  private nextSeq: number
  private readonly occurrences = new Map<string, number>()
  /** Workflow time: the time the latest delivered or recorded step finished (the run's start before any). */
  clock: number
  /**
   * Fails once the journal is found not to fit the code: the run races its program against it, so
   * the run fails with the `JournalMismatch` whatever the code around the step does with a failed
   * step; and from then on nothing more is journaled.
   */
  readonly mismatch = Deferred.unsafeMake<never, JournalMismatch>(FiberId.none)
  private mismatched = false

  constructor(
    readonly runId: string,
    readonly workflow: string,
    startedAt: number,
    steps: ReadonlyArray<StepRow>,
    readonly store: Store,
    private readonly codec: OutcomeCodec,
    stallTimeout: Duration.Duration,
    /** A finished run replaying: every step must come from the journal. */
    readonly finished = false
  ) {
    this.journal = new Map(steps.map((s) => [s.key, s]))
    this.nextSeq = steps.reduce((max, s) => Math.max(max, s.seq + 1), 0)
    this.replay = new Replay(steps, stallTimeout, (step, reason) => this.fail(step, reason))
    this.clock = startedAt
  }

  /** Fails the step, and with it the run, with a `JournalMismatch` at `step`. */
  private fail(step: string, reason: string): Effect.Effect<never, JournalMismatch> {
    return Effect.suspend(() => {
      const error = JournalMismatch.of(this.runId, step, reason)
      this.mismatched = true
      Deferred.unsafeDone(this.mismatch, Exit.fail(error))
      return Effect.fail(error)
    })
  }

  /** A unique approval name: `name`, then `name#2`, `name#3` … when the run asks again under the same name. */
  approvalName(name: string): string {
    const place = `approval:${name}`
    const n = this.occurrences.get(place) ?? 0
    this.occurrences.set(place, n + 1)
    return n === 0 ? name : `${name}#${n + 1}`
  }

  /**
   * The key of a step: its parent's key, then the step's name and agent, and how many steps of that
   * name and agent ran before it under the same parent. Keys follow the run's tree, not arrival order.
   */
  keyFor(parent: string, kind: string, name: string): string {
    const place = `${parent}/${kind}:${segment(name)}`
    const n = this.occurrences.get(place) ?? 0
    this.occurrences.set(place, n + 1)
    return n === 0 ? place : `${place}#${n}`
  }

  /**
   * Runs the agent call keyed `key`: its journaled outcome when there is one (the agent is not
   * called), else `live` for real, whose success or typed failure is journaled before it returns.
   */
  call(key: string, input: Message.Message, live: (scope: RunScope) => Effect.Effect<Message.Message, AgentError>): Effect.Effect<Message.Message, AgentError> {
    const entry = this.journal.get(key)
    const hash = inputHash(input)
    if (entry !== undefined) {
      if (entry.inputHash !== hash) {
        const shown = input.payload.length > 80 ? `${input.payload.slice(0, 80)}...` : input.payload
        return this.fail(key, `the step's input (${input.type} ${JSON.stringify(shown)}) differs from the one the journal recorded`)
      }
      return Effect.zipRight(
        this.replay.journaled(entry),
        Effect.suspend(() => {
          this.clock = Math.max(this.clock, entry.recordedAt)
          return this.codec.decode(entry.outcome)
        })
      )
    }
    return Effect.zipRight(
      this.replay.live(key, this.finished),
      Effect.flatMap(Effect.exit(live(new RunScope(this, key))), (exit) => Effect.zipRight(this.record(key, hash, exit), exit))
    )
  }

  /** Journals a step's outcome, unless it is not journaled (see `OutcomeCodec.encode`) or the journal no longer fits the code. */
  private record(key: string, inputHash: string, exit: Exit.Exit<Message.Message, AgentError>) {
    return Effect.suspend(() => {
      const outcome = this.mismatched ? undefined : this.codec.encode(exit)
      if (outcome === undefined) return Effect.void
      const recordedAt = Date.now()
      this.clock = Math.max(this.clock, recordedAt)
      const step: StepRow = { key, seq: this.nextSeq++, inputHash, outcome, recordedAt }
      // The step already ran; a journal that cannot be written is a broken store, not an agent error.
      return Effect.orDie(this.store.recordStep(this.runId, step))
    })
  }
}
