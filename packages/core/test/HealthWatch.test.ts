/**
 * Health `Watch` as a standard client sees it (a client built from health.proto alone): the status,
 * then each change of an agent's readiness, and when the node stops, NOT_SERVING and the end.
 */
import { Agent, AgentRuntime, DistributedRuntime, Message } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { Context, Effect, Exit, Layer, Ref, Scope } from "effect"
import { fileURLToPath } from "node:url"

const Health = (grpc.loadPackageDefinition(
  protoLoader.loadSync("grpc/health/v1/health.proto", { includeDirs: [fileURLToPath(new URL("../proto/", import.meta.url))], enums: String })
) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }).grpc.health.v1.Health

/** Watches `service` on `endpoint`: the statuses so far, and whether the stream ended (and how). */
const watch = (endpoint: string, service: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const client = new Health(endpoint, grpc.credentials.createInsecure())
      const seen: Array<string> = []
      let ended: string | undefined
      const call = (client as unknown as Record<string, (r: object) => grpc.ClientReadableStream<{ status: string }>>)["Watch"]!({ service })
      call.on("data", (reply: { status: string }) => seen.push(reply.status))
      call.on("error", (error: grpc.ServiceError) => (ended = grpc.status[error.code]))
      call.on("end", () => (ended ??= "end"))
      return { client, call, seen, ended: () => ended }
    }),
    ({ call, client }) => Effect.sync(() => {
      call.cancel()
      client.close()
    })
  )

describe("health Watch", () => {
  it.scopedLive("reports an agent's readiness as it changes, and NOT_SERVING then the end when the node stops", () =>
    Effect.gen(function* () {
      const ready = yield* Ref.make(true)
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(DistributedRuntime.layer({ listen: "127.0.0.1:0", shutdownGracePeriod: "1 second" }), scope)
      yield* Context.get(context, AgentRuntime.AgentRuntime).register(
        Agent.make({ name: "warming", execute: (m) => Effect.succeed(Message.reply(m, "ok")), ready: Ref.get(ready) })
      )
      const endpoint = Context.get(context, DistributedRuntime.Node).endpoint!
      const agent = yield* watch(endpoint, "warming")
      const node = yield* watch(endpoint, "")
      const until = (condition: () => boolean, what: string) =>
        Effect.repeat(Effect.sleep("50 millis"), { until: condition }).pipe(
          Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => what })
        )
      yield* until(() => agent.seen.length === 1 && node.seen.length === 1, "the first statuses")
      assert.deepStrictEqual([agent.seen, node.seen], [["SERVING"], ["SERVING"]])
      yield* Ref.set(ready, false)
      yield* until(() => agent.seen.length === 2, "the change to NOT_SERVING (readiness is looked at every second)")
      assert.deepStrictEqual(agent.seen, ["SERVING", "NOT_SERVING"])
      yield* Scope.close(scope, Exit.void)
      yield* until(() => node.ended() !== undefined && agent.ended() !== undefined, "the end of both streams")
      assert.deepStrictEqual(node.seen, ["SERVING", "NOT_SERVING"])
      // A change only: the agent was not serving already.
      assert.deepStrictEqual(agent.seen, ["SERVING", "NOT_SERVING"])
      assert.deepStrictEqual([node.ended(), agent.ended()], ["end", "end"])
    }), 30_000)
})
