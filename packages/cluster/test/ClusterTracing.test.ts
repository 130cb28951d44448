import { Agent, AgentRuntime, CallContext, Message, Telemetry, TraceContext } from "@aixfx/core"
import { ClusterRuntime } from "@aixfx/cluster"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { freePort, holdsAllShards, sharding } from "./support/cluster.js"
import { freshDatabase, pgLayer, serverUrl } from "./support/postgres.js"

const server = serverUrl()

if (server === undefined) {
  describe.skip("ClusterRuntime tracing (no Postgres)", () => it("skipped", () => {}))
} else {
  let databaseUrl = ""
  beforeAll(async () => {
    databaseUrl = await freshDatabase(server, "tracing")
  })

  describe("ClusterRuntime tracing", () => {
    for (const delivery of ["at-most-once", "at-least-once"] as const) {
      it.live(`the served agent's spans are children of the caller's agent.call span, with its session (${delivery})`, () => {
        const exporter = new Telemetry.InMemorySpanExporter()
        return Effect.gen(function* () {
          // A runner hosting the agent and a client-only process's runtime: the call crosses the
          // runner's socket (encoded, decoded), and the agent runs in a fiber of the runner.
          const port = yield* Effect.promise(freePort)
          const runner = yield* Layer.build(
            ClusterRuntime.layer({ runner: { host: "127.0.0.1", port }, sharding, delivery }).pipe(Layer.provide(pgLayer(databaseUrl)))
          )
          yield* holdsAllShards(Context.get(runner, ClusterRuntime.Node))
          yield* Context.get(runner, AgentRuntime.AgentRuntime).register(
            Agent.make({
              name: "traced",
              execute: (m) =>
                Effect.map(
                  Effect.all({ context: CallContext.get, session: TraceContext.currentSession }).pipe(Effect.withSpan("traced.work")),
                  ({ context, session }) => Message.reply(m, `${context.runId}/${session.sessionId}/${session.userId}`)
                )
            })
          )
          const client = Context.get(yield* Layer.build(ClusterRuntime.layer({ sharding, delivery }).pipe(Layer.provide(pgLayer(databaseUrl)))), AgentRuntime.AgentRuntime)

          const reply = yield* client.call("traced", Message.make("hi")).pipe(
            CallContext.withRun("run-t"),
            TraceContext.withSession({ sessionId: "s-9", userId: "u-9" }),
            Effect.withSpan("caller")
          )
          assert.strictEqual(reply.payload, "run-t/s-9/u-9")

          // As over gRPC: the serving runner's `agent.call` (its own runtime's) hangs under the
          // caller's, across the hop; the agent's spans under it, in the caller's trace and session.
          const spans = exporter.getFinishedSpans()
          const named = (name: string, kind: string) => spans.filter((s) => s.name === name && s.attributes["aixfx.runtime.kind"] === kind)
          const caller = spans.find((s) => s.name === "caller")!
          const [call] = named("agent.call traced", "cluster")
          const [servedCall] = named("agent.call traced", "local")
          const served = spans.find((s) => s.name === "invoke_agent traced")
          const work = spans.find((s) => s.name === "traced.work")
          assert.isDefined(call)
          assert.isDefined(servedCall, "the serving runner traced the call")
          assert.isDefined(served)
          assert.isDefined(work)
          assert.strictEqual(call!.parentSpanContext?.spanId, caller.spanContext().spanId)
          const traceId = call!.spanContext().traceId
          for (const span of [servedCall!, served!, work!]) assert.strictEqual(span.spanContext().traceId, traceId, `${span.name} is in the caller's trace`)
          assert.strictEqual(servedCall!.parentSpanContext?.spanId, call!.spanContext().spanId, "the served call hangs under the caller's agent.call")
          assert.isTrue(servedCall!.parentSpanContext?.isRemote, "its parent came over the wire")
          assert.strictEqual(served!.parentSpanContext?.spanId, servedCall!.spanContext().spanId)
          assert.strictEqual(work!.parentSpanContext?.spanId, served!.spanContext().spanId)
          for (const span of [servedCall!, served!, work!]) {
            assert.strictEqual(span.attributes["session.id"], "s-9", `${span.name} has the caller's session`)
            assert.strictEqual(span.attributes["langfuse.user.id"], "u-9", `${span.name} has the caller's user`)
          }
        }).pipe(Effect.scoped, Effect.provide(Telemetry.layerMemory(exporter)))
      })
    }

  })
}
