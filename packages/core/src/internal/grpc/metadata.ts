/**
 * What travels in call metadata besides the token: the W3C trace context and the aixfx call
 * context (TraceContext's headers), so one trace and one cost attribution span every process.
 */
import * as TraceContext from "../../TraceContext.js"

/** Runs `use` with the headers describing the fiber's span, call context and session, for an outgoing call. */
export const withOutgoingHeaders = TraceContext.injectOn

