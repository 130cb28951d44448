/**
 * Where budgets keep what they have committed: the spending settled under a key (a run, an agent in
 * a run) and the reservations of calls still in flight. A budget reserves a call's worst case before
 * sending it and settles it with the actual cost after, so calls that run at the same time can
 * never reserve more than the cap together.
 *
 * The in-memory `layer` serves one process. A store shared by several processes (a cluster's, on
 * Postgres) implements the same service with `reserve` as one atomic conditional update.
 * Amounts are in the budget's unit: USD for a USD cap, tokens for a token cap (one unit per key).
 */
import { Context, Effect, Layer, Ref } from "effect"
import { BudgetExceeded } from "./AgentError.js"

/** A held amount under `key`, to be settled exactly once. */
export interface Reservation {
  readonly key: string
  /** Unique within the store. */
  readonly id: string
  readonly amount: number
}

export interface Service {
  /**
   * Holds `amount` under `key` when what is committed there (settled + reserved) plus `amount`
   * stays within `cap`; otherwise fails with `BudgetExceeded` (scope: the key) and holds nothing.
   */
  readonly reserve: (key: string, cap: number, amount: number) => Effect.Effect<Reservation, BudgetExceeded>
  /** Replaces the reservation by what the call actually cost (more or less than reserved); a second settle does nothing. */
  readonly settle: (reservation: Reservation, actual: number) => Effect.Effect<void>
  /** What is committed under `key`: settled spending plus open reservations. */
  readonly committed: (key: string) => Effect.Effect<number>
}

export class BudgetStore extends Context.Tag("@aixfx/core/BudgetStore")<BudgetStore, Service>() {}

interface Account {
  readonly settled: number
  /** Open reservations by id. */
  readonly open: ReadonlyMap<string, number>
}

const reservedIn = (account: Account) => {
  let sum = 0
  for (const amount of account.open.values()) sum += amount
  return sum
}

const emptyAccount: Account = { settled: 0, open: new Map() }

/** An in-memory store (one process); every update is one atomic `Ref.modify`. */
export const make: Effect.Effect<Service> = Effect.gen(function* () {
  const accounts = yield* Ref.make(new Map<string, Account>())
  let nextId = 0
  const update = (all: Map<string, Account>, key: string, account: Account) => new Map(all).set(key, account)
  return {
    reserve: (key, cap, amount) =>
      Effect.flatten(
        Ref.modify(accounts, (all): readonly [Effect.Effect<Reservation, BudgetExceeded>, Map<string, Account>] => {
          const account = all.get(key) ?? emptyAccount
          const committed = account.settled + reservedIn(account)
          if (committed + amount > cap) {
            const error = new BudgetExceeded({
              scope: key,
              unit: "usd",
              limit: cap,
              spent: committed,
              estimate: amount,
              message: `Budget "${key}" of ${cap} would be exceeded: ${committed} committed, ${amount} asked`
            })
            return [Effect.fail(error), all] as const
          }
          const id = String(++nextId)
          const reservation: Reservation = { key, id, amount }
          return [Effect.succeed(reservation), update(all, key, { ...account, open: new Map(account.open).set(id, amount) })] as const
        })
      ),
    settle: (reservation, actual) =>
      Ref.update(accounts, (all) => {
        const account = all.get(reservation.key)
        if (account === undefined || !account.open.has(reservation.id)) return all
        const open = new Map(account.open)
        open.delete(reservation.id)
        return update(all, reservation.key, { settled: account.settled + actual, open })
      }),
    committed: (key) =>
      Effect.map(Ref.get(accounts), (all) => {
        const account = all.get(key) ?? emptyAccount
        return account.settled + reservedIn(account)
      })
  }
})

/** An in-memory store for one process. */
export const layer: Layer.Layer<BudgetStore> = Layer.effect(BudgetStore, make)
