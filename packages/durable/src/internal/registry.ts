/**
 * The programs of the durable runs this process started, by run id. The engine runs a run's body
 * wherever its runner is; the body takes the program from here (waiting for it when the engine
 * resumed the run at boot, before the application asked for it again).
 */
import { type Context, Deferred, Effect, Exit, FiberId } from "effect"

export type Outcome =
  | { readonly _tag: "Done"; readonly exit: Exit.Exit<unknown, unknown> }
  | { readonly _tag: "Suspended"; readonly awaiting: ReadonlyArray<string> }

export interface Pending {
  readonly program: Effect.Effect<unknown, unknown, any>
  /** The context the program was started in (its services, call context, parent span). */
  readonly context: Context.Context<any>
  /** The outcome of the body's current execution; replaced after each suspension. */
  outcome: Deferred.Deferred<Outcome>
}

export class Registry {
  private readonly programs = new Map<string, Pending>()
  private readonly waiting = new Map<string, Deferred.Deferred<Pending>>()

  offer(runId: string, pending: Pending): void {
    this.programs.set(runId, pending)
    const waiter = this.waiting.get(runId)
    if (waiter !== undefined) {
      this.waiting.delete(runId)
      Deferred.unsafeDone(waiter, Exit.succeed(pending))
    }
  }

  get(runId: string): Pending | undefined {
    return this.programs.get(runId)
  }

  /** The program of `runId`, as soon as this process has it. */
  take(runId: string): Effect.Effect<Pending> {
    const pending = this.programs.get(runId)
    if (pending !== undefined) return Effect.succeed(pending)
    let waiter = this.waiting.get(runId)
    if (waiter === undefined) {
      waiter = Deferred.unsafeMake<Pending>(FiberId.none)
      this.waiting.set(runId, waiter)
    }
    return Deferred.await(waiter)
  }

  /** Hands `outcome` to whoever waits for the run; after a suspension the next execution gets a new one. */
  settle(runId: string, outcome: Outcome): void {
    const pending = this.programs.get(runId)
    if (pending === undefined) return
    const current = pending.outcome
    if (outcome._tag === "Done") this.programs.delete(runId)
    else pending.outcome = Deferred.unsafeMake<Outcome>(FiberId.none)
    Deferred.unsafeDone(current, Exit.succeed(outcome))
  }
}
