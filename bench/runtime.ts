/**
 * 1. Runtime overhead: `AgentRuntime.call` on LocalRuntime to a no-op agent, against a plain
 * function returning an Effect, in the same loop — without and with a tracer installed.
 */
import { Agent, AgentRuntime, CallContext, LocalRuntime, Message, Telemetry } from "@aixfx/core"
import { Effect, Fiber, Layer, ManagedRuntime } from "effect"
import type { Benchmark } from "./lib/Benchmark.js"
import { nsPerOp, ratio, round } from "./lib/measure.js"

const TARGET_US = 5

const noop = Agent.fromFunction("noop", (input) => input)
const plain = (input: Message.Message) => Effect.succeed(input)

export const benchmark: Benchmark = {
  name: "runtime",
  run: async ({ quick }) => {
    const iterations = quick ? 1_000 : 20_000
    const rounds = quick ? 2 : 5
    const message = Message.make("ping")
    const rows: Array<Record<string, string | number>> = []

    for (const traced of [false, true]) {
      const exporter = new Telemetry.InMemorySpanExporter()
      const layer = Layer.mergeAll(
        Layer.provideMerge(AgentRuntime.layerAgents(noop), LocalRuntime.layer()),
        traced ? Telemetry.layerMemory(exporter, "aixfx-bench") : Layer.empty
      )
      const runtime = ManagedRuntime.make(layer)
      // Spans are kept by the in-memory exporter; drop them between rounds (outside the timing).
      const measure = (op: () => Effect.Effect<unknown, unknown, AgentRuntime.AgentRuntime>) =>
        nsPerOp(runtime, op, { iterations, rounds, betweenRounds: () => exporter.reset() })
      const ops = {
        baseline: () => plain(message),
        // Effect primitives, so the figures below can be read: what a call would cost if it made a
        // span, forked a fiber, or set the call context.
        span: () => Effect.withSpan(plain(message), "span", { attributes: { "gen_ai.agent.name": "noop" } }),
        forkJoin: () => Effect.flatMap(Effect.fork(plain(message)), Fiber.join),
        fiberRef: () => CallContext.withAgent("noop")(plain(message)),
        execute: () => noop.execute(message),
        call: () => AgentRuntime.call("noop", message)
      }
      // Prime every path first, so the first one measured is not the one paying for the JIT.
      for (const op of Object.values(ops)) await nsPerOp(runtime, op, { iterations, rounds: 1 })
      const baseline = await measure(ops.baseline)
      const span = await measure(ops.span)
      const forkJoin = await measure(ops.forkJoin)
      const fiberRef = await measure(ops.fiberRef)
      const execute = await measure(ops.execute)
      const call = await measure(ops.call)
      await runtime.dispose()
      const tracer = traced ? "OpenTelemetry (in-memory exporter)" : "none"
      const row = (operation: string, ns: number) => ({
        tracer,
        operation,
        "µs/call": round(ns / 1000, 3),
        "calls/s": Math.round(1e9 / ns).toLocaleString("en-US"),
        "vs plain": ratio(ns, baseline)
      })
      rows.push(
        row("plain function returning an Effect (baseline)", baseline),
        row("  Effect primitive: Effect.withSpan around it", span),
        row("  Effect primitive: Effect.fork + Fiber.join", forkJoin),
        row("  CallContext.withAgent (one context write each way)", fiberRef),
        row("Agent.execute, no runtime", execute),
        row("AgentRuntime.call on LocalRuntime", call)
      )
    }
    const untracedCall = rows[5]!["µs/call"] as number
    return {
      title: "1. Runtime overhead — LocalRuntime call to a no-op agent",
      rows,
      notes: [
        `${iterations.toLocaleString("en-US")} sequential calls per round in one fiber, median of ${rounds} rounds after a warm-up.`,
        `Target ≤ ${TARGET_US} µs per call without a tracer: ${untracedCall <= TARGET_US ? "met" : "MISSED"} (${untracedCall} µs).`,
        "The call path: a lookup, the agent's readiness (skipped for agents that are always ready), then the agent runs on the caller's fiber with its registration context merged over the caller's and the agent in the call context — one context write each way, the merged context reused while the caller's is the same — and the fiber recorded as in flight (closing the runtime interrupts it). Spans (`agent.call`, `invoke_agent`) only when a tracer is installed.",
        "Without a tracer Effect would still make its own (native) spans, about the withSpan row each; aixfx makes none then. The OpenTelemetry rows export every span to memory synchronously (the worst case of a SimpleSpanProcessor).",
        "Measured on the compiled packages (`pnpm bench` runs `tsc -b` first), as users run them: under tsx every function expression in the sources is also wrapped for its name, which added about 3 µs per call here."
      ],
      verdicts: [`LocalRuntime call without a tracer: ${untracedCall} µs (target ≤ ${TARGET_US} µs): ${untracedCall <= TARGET_US ? "met" : "MISSED"}`]
    }
  }
}
