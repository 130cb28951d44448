/**
 * What travels in call metadata besides the token: the W3C trace context and the aixfx call
 * context (TraceContext's headers), so one trace and one cost attribution span every process.
 */
import type * as grpc from "@grpc/grpc-js"
import * as TraceContext from "../../TraceContext.js"

/** Runs `use` with the headers describing the fiber's span, call context and session, for an outgoing call. */
export const withOutgoingHeaders = TraceContext.injectOn

/** Runs `effect` inside the trace, call context and session an incoming call carries. */
export const withIncomingContext = (metadata: grpc.Metadata) => TraceContext.withRemoteParent(metadata.getMap())
