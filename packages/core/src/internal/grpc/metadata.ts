/**
 * What travels in call metadata besides the token: the W3C trace context and the aixfx call
 * context (TraceContext's headers), so one trace and one cost attribution span every process.
 */
import type * as grpc from "@grpc/grpc-js"
import type { Effect } from "effect"
import * as TraceContext from "../../TraceContext.js"

/** Headers describing the current span, call context and session, for an outgoing call. */
export const outgoingMetadata: Effect.Effect<Record<string, string>> = TraceContext.inject

/** Runs `effect` inside the trace, call context and session an incoming call carries. */
export const withIncomingContext = (metadata: grpc.Metadata) => TraceContext.withRemoteParent(metadata.getMap())
