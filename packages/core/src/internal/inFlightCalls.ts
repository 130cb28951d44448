/**
 * The fibers inside a runtime's calls. A call runs on its caller's fiber (a fiber of its own per
 * call was most of a call's cost), so closing the runtime interrupts those fibers, and waits for
 * them, before the agents stop: no agent code runs on after its runtime closed.
 *
 * A doubly linked list of calls: entering and leaving are O(1) and hash nothing (every call does
 * both); calls nest on one fiber when an agent calls another, so a fiber may appear more than once.
 */
import { Effect, Fiber } from "effect"

type AnyFiber = Fiber.RuntimeFiber<any, any>

export interface InFlightCall {
  readonly fiber: AnyFiber
  previous: InFlightCall | undefined
  next: InFlightCall | undefined
}

export interface InFlightCalls {
  /** Records a call on `fiber`; give what it returns to `leave` when the call ends. */
  readonly enter: (fiber: AnyFiber) => InFlightCall
  readonly leave: (call: InFlightCall) => void
  /** Interrupts every fiber inside a call, except the one closing the runtime, and waits for them. */
  readonly interruptAll: Effect.Effect<void>
}

export const make = (): InFlightCalls => {
  let newest: InFlightCall | undefined
  return {
    enter: (fiber) => {
      const call: InFlightCall = { fiber, previous: newest, next: undefined }
      if (newest !== undefined) newest.next = call
      newest = call
      return call
    },
    leave: (call) => {
      if (call.next === undefined) newest = call.previous
      else call.next.previous = call.previous
      if (call.previous !== undefined) call.previous.next = call.next
    },
    interruptAll: Effect.withFiberRuntime((closing) => {
      const fibers = new Set<AnyFiber>()
      for (let call = newest; call !== undefined; call = call.previous) {
        if (call.fiber !== closing) fibers.add(call.fiber)
      }
      return Fiber.interruptAllAs(fibers, closing.id())
    })
  }
}
