/**
 * DistributedRuntime's guards and lifecycle over real gRPC on 127.0.0.1 (serving and calling
 * node in this process, so the tests can look inside the agent): bearer token, message size,
 * TLS and mTLS, graceful shutdown.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  Agent,
  AgentRuntime,
  DistributedRuntime,
  Message,
  MessageTooLarge,
  RuntimeStopped,
  TransportError,
  Unauthenticated
} from "@aixfx/core"
import { Config, ConfigProvider, Context, Deferred, type Duration, Effect, Exit, Fiber, Layer, Redacted, Ref, Scope } from "effect"
import { makeCerts } from "./fixtures/certs.js"

/** A serving node whose `counted` agent records every call it really receives. */
const servingNode = (options: DistributedRuntime.Options) =>
  Effect.gen(function* () {
    const calls = yield* Ref.make(0)
    const context = yield* Layer.build(DistributedRuntime.layer({ ...options, listen: "127.0.0.1:0" }))
    yield* Context.get(context, AgentRuntime.AgentRuntime).register(
      Agent.fromFunction("counted", (m) => Effect.as(Ref.update(calls, (n) => n + 1), Message.reply(m, `got ${m.payload.length} chars`)))
    )
    yield* Context.get(context, AgentRuntime.AgentRuntime).register(
      Agent.fromFunction("big", (m) => Message.reply(m, "x".repeat(Number(m.payload))))
    )
    return { endpoint: Context.get(context, DistributedRuntime.Node).endpoint!, calls: Ref.get(calls) }
  })

const callerTo = (endpoint: string, options: DistributedRuntime.Options = {}) =>
  DistributedRuntime.make({ ...options, peers: { "*": endpoint } })

describe("DistributedRuntime security", () => {
  it.scopedLive("a call without the bearer token, or with a wrong one, is rejected and the agent never runs", () =>
    Effect.gen(function* () {
      const server = yield* servingNode({ auth: { token: Config.redacted("AIXFX_AGENT_TOKEN") } }).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["AIXFX_AGENT_TOKEN", "s3cret"]])))
      )
      const anonymous = yield* callerTo(server.endpoint)
      const missing = yield* Effect.flip(anonymous.call("counted", Message.make("x")))
      assert.instanceOf(missing, Unauthenticated)
      assert.include(missing.message, "requires a bearer token")
      const wrong = yield* callerTo(server.endpoint, { auth: { token: Redacted.make("guess") } })
      const rejected = yield* Effect.flip(wrong.call("counted", Message.make("x")))
      assert.instanceOf(rejected, Unauthenticated)
      assert.include(rejected.message, "not valid")
      assert.strictEqual(yield* server.calls, 0, "the agent was never invoked")
      const right = yield* callerTo(server.endpoint, { auth: { token: Redacted.make("s3cret") } })
      assert.strictEqual((yield* right.call("counted", Message.make("x"))).payload, "got 1 chars")
      assert.strictEqual(yield* server.calls, 1)
    }))

  it.scopedLive("oversized messages are rejected with MessageTooLarge, in either direction, and nothing runs", () =>
    Effect.gen(function* () {
      const server = yield* servingNode({ maxMessageBytes: 4096 })
      const caller = yield* callerTo(server.endpoint)
      // Refused by the server's limit.
      const inbound = yield* Effect.flip(caller.call("counted", Message.make("x".repeat(10_000))))
      assert.instanceOf(inbound, MessageTooLarge)
      if (inbound instanceof MessageTooLarge) assert.strictEqual(inbound.limitBytes, 4096)
      // Refused by the caller's own limit before anything is sent.
      const strict = yield* callerTo(server.endpoint, { maxMessageBytes: 1024 })
      const outbound = yield* Effect.flip(strict.call("counted", Message.make("y".repeat(2_000))))
      assert.instanceOf(outbound, MessageTooLarge)
      if (outbound instanceof MessageTooLarge) {
        assert.isAbove(outbound.sizeBytes, 2_000)
        assert.strictEqual(outbound.limitBytes, 1024)
        assert.include(outbound.message, `agent "counted"`)
      }
      assert.strictEqual(yield* server.calls, 0, "the agent was never invoked")
      // A reply too large for the server to send.
      const reply = yield* Effect.flip(caller.call("big", Message.make("10000")))
      assert.instanceOf(reply, MessageTooLarge)
      assert.strictEqual((yield* caller.call("counted", Message.make("small"))).payload, "got 5 chars")
    }))

  it.scopedLive("TLS: a caller trusting the CA gets through, a plaintext caller does not", () =>
    Effect.gen(function* () {
      const certs = yield* makeCerts
      const server = yield* servingNode({ tls: { cert: certs.serverCert, key: certs.serverKey } })
      const trusted = yield* callerTo(server.endpoint, { tls: { ca: certs.ca } })
      assert.strictEqual((yield* trusted.call("counted", Message.make("x"))).payload, "got 1 chars")
      const plain = yield* callerTo(server.endpoint)
      assert.instanceOf(yield* Effect.flip(plain.call("counted", Message.make("x"))), TransportError)
    }))

  it.scopedLive("mTLS: the server turns away a caller without a client certificate", () =>
    Effect.gen(function* () {
      const certs = yield* makeCerts
      const server = yield* servingNode({
        tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireClientCert: true }
      })
      const noCert = yield* callerTo(server.endpoint, { tls: { ca: certs.ca } })
      assert.instanceOf(yield* Effect.flip(noCert.call("counted", Message.make("x"))), TransportError)
      assert.strictEqual(yield* server.calls, 0)
      const withCert = yield* callerTo(server.endpoint, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } })
      assert.strictEqual((yield* withCert.call("counted", Message.make("x"))).payload, "got 1 chars")
    }))
})

describe("DistributedRuntime lifecycle", () => {
  /** A node with one agent that signals when it starts and then waits `duration` (or forever). */
  const nodeWithSlowAgent = (scope: Scope.Scope, gracePeriod: Duration.DurationInput, duration: Duration.DurationInput | undefined) =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const context = yield* Layer.buildWithScope(
        DistributedRuntime.layer({ listen: "127.0.0.1:0", shutdownGracePeriod: gracePeriod }),
        scope
      )
      yield* Context.get(context, AgentRuntime.AgentRuntime).register(
        Agent.make({
          name: "work",
          execute: (m) =>
            Deferred.succeed(started, undefined).pipe(
              Effect.zipRight(duration === undefined ? Effect.never : Effect.sleep(duration)),
              Effect.as(Message.reply(m, "finished"))
            )
        })
      )
      return { endpoint: Context.get(context, DistributedRuntime.Node).endpoint!, started }
    })

  it.scopedLive("closing a node lets a call in flight finish within the grace period", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const node = yield* nodeWithSlowAgent(scope, "5 seconds", "300 millis")
      const caller = yield* callerTo(node.endpoint)
      const call = yield* Effect.fork(caller.call("work", Message.make("x")))
      yield* Deferred.await(node.started)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual((yield* Fiber.join(call)).payload, "finished")
      // Closed: the next call cannot connect.
      assert.instanceOf(yield* Effect.flip(caller.call("work", Message.make("x"))), TransportError)
    }))

  it.scopedLive("health reflects an agent's readiness, and an unknown agent is not ready", () =>
    Effect.gen(function* () {
      const ready = yield* Ref.make(false)
      const context = yield* Layer.build(DistributedRuntime.layer({ listen: "127.0.0.1:0" }))
      yield* Context.get(context, AgentRuntime.AgentRuntime).register(
        Agent.make({ name: "warming", execute: (m) => Effect.succeed(m), ready: Ref.get(ready) })
      )
      const caller = yield* callerTo(Context.get(context, DistributedRuntime.Node).endpoint!)
      assert.isFalse(yield* caller.ready("warming"))
      yield* Ref.set(ready, true)
      assert.isTrue(yield* caller.ready("warming"))
      assert.isFalse(yield* caller.ready("nobody"))
      const listed = yield* caller.list
      assert.deepStrictEqual(listed.map((a) => [a.name, a.ready]), [["warming", true]])
    }))

  it.scopedLive("past the grace period, calls in flight are cancelled with RuntimeStopped", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const node = yield* nodeWithSlowAgent(scope, "200 millis", undefined)
      const caller = yield* callerTo(node.endpoint)
      const call = yield* Effect.fork(caller.call("work", Message.make("x")))
      yield* Deferred.await(node.started)
      const closing = Date.now()
      yield* Scope.close(scope, Exit.void)
      assert.isBelow(Date.now() - closing, 2_000)
      const error = yield* Effect.flip(Fiber.join(call))
      assert.instanceOf(error, RuntimeStopped)
    }))
})
