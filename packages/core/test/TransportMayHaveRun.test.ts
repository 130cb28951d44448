/**
 * `TransportError.mayHaveRun` as DistributedRuntime sets it from what really happened on the wire:
 * false only when no connection could be made (nothing listens on the port), true when the request
 * reached a server that then failed it in transport (here a gRPC server answering UNAVAILABLE
 * after taking the request, as a proxy whose upstream reset does).
 */
import * as grpc from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { AgentRuntime, DistributedRuntime, Message, TransportError } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

const protoDir = fileURLToPath(new URL("../proto/", import.meta.url))
const AgentService = (grpc.loadPackageDefinition(
  protoLoader.loadSync("aixfx/agent/v1/agent.proto", { includeDirs: [protoDir], keepCase: true, longs: String, defaults: true, oneofs: true })
) as unknown as { aixfx: { agent: { v1: { AgentService: grpc.ServiceClientConstructor } } } }).aixfx.agent.v1.AgentService

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
const closedPort = Effect.async<number>((resume) => {
  const probe = createServer()
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resume(Effect.succeed(port)))
  })
})

/** A gRPC server that takes every Execute and fails it with UNAVAILABLE; counts the requests it got. */
const resettingServer = Effect.acquireRelease(
  Effect.async<{ endpoint: string; received: () => number; server: grpc.Server }>((resume) => {
    let received = 0
    const server = new grpc.Server()
    server.addService(AgentService.service, {
      Execute: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        received++
        callback({ code: grpc.status.UNAVAILABLE, details: "upstream connect error or disconnect/reset before headers" })
      }
    })
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error !== null) throw error
      resume(Effect.succeed({ endpoint: `127.0.0.1:${port}`, received: () => received, server }))
    })
  }),
  ({ server }) => Effect.sync(() => server.forceShutdown())
)

const callVia = (peers: Record<string, string>) =>
  Effect.flip(AgentRuntime.call("remote", Message.make("x"), { timeout: "10 seconds" })).pipe(
    Effect.provide(DistributedRuntime.layer({ peers }))
  )

describe("TransportError.mayHaveRun", () => {
  it.live("false when no connection could be made: the agent surely did not run", () =>
    Effect.gen(function* () {
      const error = yield* callVia({ remote: `127.0.0.1:${yield* closedPort}` })
      assert.instanceOf(error, TransportError)
      assert.strictEqual((error as TransportError).mayHaveRun, false)
    }))

  it.scopedLive("true when the request reached a server before the call failed", () =>
    Effect.gen(function* () {
      const node = yield* resettingServer
      const error = yield* callVia({ remote: node.endpoint })
      assert.instanceOf(error, TransportError)
      assert.strictEqual((error as TransportError).code, "UNAVAILABLE")
      assert.strictEqual((error as TransportError).mayHaveRun, true)
      assert.strictEqual(node.received(), 1)
    }))

  it("defaults to true for an error made without it (an unknown outcome is never safe to repeat)", () => {
    const error = new TransportError({ agent: "a", endpoint: "e", code: "INTERNAL", message: "m" })
    assert.strictEqual(error.mayHaveRun, true)
  })
})
