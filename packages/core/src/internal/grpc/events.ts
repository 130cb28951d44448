/**
 * Progress and token events of a streamed call (AgentService.ExecuteStream). An agent reports
 * them with `DistributedRuntime.progress` / `DistributedRuntime.token`; outside a streamed call
 * there is no sink and they cost nothing.
 */
import { type Effect, FiberRef, Option } from "effect"

export type CallEvent =
  | { readonly _tag: "Progress"; readonly agent: string; readonly stage: string; readonly detail: string }
  | { readonly _tag: "Token"; readonly agent: string; readonly text: string }

export const currentEventSink: FiberRef.FiberRef<Option.Option<(event: CallEvent) => Effect.Effect<void>>> =
  FiberRef.unsafeMake<Option.Option<(event: CallEvent) => Effect.Effect<void>>>(Option.none())
