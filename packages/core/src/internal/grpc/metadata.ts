/**
 * What travels in call metadata besides the token: the W3C trace context and the aixfx call
 * context, so one trace and one cost attribution span every process.
 */
import type * as grpc from "@grpc/grpc-js"
import { Effect } from "effect"

/** Headers describing the current span and call context, for an outgoing call. */
export const outgoingMetadata: Effect.Effect<Record<string, string>> = Effect.succeed({})

/** Runs `effect` inside the trace and call context an incoming call carries. */
export const withIncomingContext = (_metadata: grpc.Metadata) => <A, E, R>(effect: Effect.Effect<A, E, R>) => effect
