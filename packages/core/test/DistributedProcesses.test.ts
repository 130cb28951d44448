/**
 * DistributedRuntime across real processes: agent nodes run as child processes on 127.0.0.1 and
 * the test process calls them over gRPC. Two nodes are shared by the file; the kill/restart test
 * starts its own. Every child is killed by PID when its scope closes.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import {
  AgentFailed,
  AgentNotFound,
  CallContext,
  CallTimeout,
  CostLedger,
  DistributedRuntime,
  Message,
  RunReport,
  Telemetry,
  TransportError,
  UnregisteredAgentError
} from "@aixfx/core"
import { Chunk, Context, Effect, Either, Fiber, Layer, ManagedRuntime, Schedule, Schema, type Scope, Stream } from "effect"
import { OutOfStock } from "./fixtures/customErrors.js"
import { type ChildNode, freePort, spawnNode } from "./fixtures/processes.js"

/** a and b serve the whole file; c (on a known port) is killed and restarted by one test. */
class Nodes extends Context.Tag("test/Nodes")<Nodes, { readonly a: ChildNode; readonly b: ChildNode; readonly c: ChildNode; readonly cPort: number }>() {}

const NodesLive = Layer.scoped(
  Nodes,
  Effect.flatMap(freePort, (cPort) =>
    Effect.all(
      { a: spawnNode({ NODE_ID: "a", SPANS: "1" }), b: spawnNode({ NODE_ID: "b" }), c: spawnNode({ NODE_ID: "c", PORT: String(cPort) }), cPort: Effect.succeed(cPort) },
      { concurrency: "unbounded" }
    ))
)

/** A caller node (no agents of its own) that reaches the agents through `peers`. */
const caller = (peers: NonNullable<DistributedRuntime.Options["peers"]>, options: DistributedRuntime.Options = {}) =>
  Effect.orDie(DistributedRuntime.make({ ...options, peers }))

// Started once for the file and stopped after it. Not @effect/vitest's `layer`: it rewrites the `it`
// that every later test file of the same worker imports (the suite shares workers between files).
const nodes = ManagedRuntime.make(NodesLive)
beforeAll(() => nodes.runtime(), 120_000)
afterAll(() => nodes.dispose(), 120_000)

/** A test on the live clock with the file's nodes. */
const test = (name: string, body: () => Effect.Effect<void, unknown, Nodes | Scope.Scope>, timeout?: number) =>
  it.scopedLive(name, () => Effect.provide(body(), nodes), timeout)

describe("DistributedRuntime across processes", () => {
  test("calls an agent in another process; list, ready and typed errors cross too", () =>
    Effect.gen(function* () {
      const { a } = yield* Nodes
      const runtime = yield* caller({ "*": a.endpoint })
      const reply = yield* runtime.call("echo", Message.make("hi"))
      assert.strictEqual(reply.payload, "a: hi")
      const missing = yield* Effect.flip(runtime.call("nobody", Message.make("x")))
      assert.instanceOf(missing, AgentNotFound)
      if (missing instanceof AgentNotFound) assert.include(missing.available, "echo")
      const listed = yield* runtime.list
      const echo = listed.find((info) => info.name === "echo")
      assert.deepStrictEqual([echo?.ready, echo?.location], [true, a.endpoint])
      assert.isTrue(yield* runtime.ready("echo"))
      assert.isFalse(yield* runtime.ready("nobody"))
      // An agent failing on the far side fails here with the same class.
      const failed = yield* Effect.flip(runtime.call("failing", Message.make("x")))
      assert.instanceOf(failed, AgentFailed)
      assert.strictEqual(failed.message, `Agent "failing" failed: it failed on a`)
    }))

  test("one trace and one call context span both processes (traceparent + aixfx headers)", () => {
    // Read while the telemetry layer is open (its shutdown empties the exporter).
    const exporter = new Telemetry.InMemorySpanExporter()
    return Effect.gen(function* () {
      const { a } = yield* Nodes
      const runtime = yield* caller({ "*": a.endpoint })
      const reply = yield* runtime.call("echo", Message.make("traced")).pipe(
        CallContext.withPattern("support-router"),
        CallContext.withRun("run-42", "support"),
        Effect.withSpan("workflow")
      )
      assert.strictEqual(reply.metadata["runId"], "run-42")
      assert.strictEqual(reply.metadata["workflow"], "support")
      assert.deepStrictEqual(reply.metadata["patternPath"], ["support-router"])

      const clientSpan = exporter.getFinishedSpans().find((span) => span.name === "agent.call echo")!
      assert.strictEqual(clientSpan.attributes["aixfx.runtime.kind"], "distributed")
      const remoteSpans = JSON.parse((yield* runtime.call("spans", Message.make("?"))).payload) as ReadonlyArray<{
        name: string
        traceId: string
        spanId: string
        parentSpanId: string | null
      }>
      const served = remoteSpans.filter((span) => span.traceId === clientSpan.spanContext().traceId)
      assert.includeMembers(served.map((span) => span.name), ["agent.call echo", "invoke_agent echo"])
      const serverRoot = served.find((span) => span.name === "agent.call echo")!
      assert.strictEqual(serverRoot.parentSpanId, clientSpan.spanContext().spanId, "the server's span hangs under the caller's")
    }).pipe(Effect.provide(Telemetry.layerMemory(exporter, "caller")))
  })

  test("several endpoints share the calls (round robin)", () =>
    Effect.gen(function* () {
      const { a, b } = yield* Nodes
      const runtime = yield* caller({ echo: [a.endpoint, b.endpoint] })
      const replies = yield* Effect.forEach([1, 2, 3, 4], (i) => runtime.call("echo", Message.make(String(i))))
      assert.deepStrictEqual(replies.map((m) => m.metadata["node"]), ["a", "b", "a", "b"])
    }))

  test("a call fails over from an endpoint nobody listens on", () =>
    Effect.gen(function* () {
      const { a } = yield* Nodes
      const dead = `127.0.0.1:${yield* freePort}`
      const runtime = yield* caller({ echo: [dead, a.endpoint] })
      const replies = yield* Effect.forEach([1, 2, 3], (i) => runtime.call("echo", Message.make(String(i))))
      assert.deepStrictEqual(replies.map((m) => m.payload), ["a: 1", "a: 2", "a: 3"])
      const alone = yield* caller({ echo: dead })
      const error = yield* Effect.flip(alone.call("echo", Message.make("x")))
      assert.instanceOf(error, TransportError)
      if (error instanceof TransportError) assert.strictEqual(error.code, "UNAVAILABLE")
    }))

  test("a caller's timeout is the call's deadline, and the agent on the server is interrupted", () =>
    Effect.gen(function* () {
      const { a } = yield* Nodes
      const runtime = yield* caller({ hang: a.endpoint })
      const message = Message.make("x")
      const error = yield* Effect.flip(runtime.call("hang", message, { timeout: "300 millis" }))
      assert.instanceOf(error, CallTimeout)
      if (error instanceof CallTimeout) assert.strictEqual(error.timeoutMs, 300)
      yield* a.waitForLine(`interrupted ${message.id}`, "5 seconds")
    }))

  test("interrupting the caller cancels the call and interrupts the agent in the other process", () =>
    Effect.gen(function* () {
      const { b } = yield* Nodes
      const runtime = yield* caller({ hang: b.endpoint })
      const message = Message.make("x")
      const call = yield* Effect.fork(runtime.call("hang", message))
      yield* b.waitForLine(`started ${message.id}`, "5 seconds")
      yield* Fiber.interrupt(call)
      yield* b.waitForLine(`interrupted ${message.id}`, "5 seconds")
    }))

  test("ExecuteStream delivers progress and tokens, then the reply", () =>
    Effect.gen(function* () {
      const { a } = yield* Nodes
      const context = yield* Layer.build(DistributedRuntime.layer({ peers: { stream: a.endpoint, failing: a.endpoint } }))
      const node = Context.get(context, DistributedRuntime.Node)
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(node.executeStream("stream", Message.make("two words"))))
      assert.deepStrictEqual(
        events.map((e) => (e._tag === "Progress" ? `progress:${e.stage}` : e._tag === "Token" ? `token:${e.text}` : `result:${e.message.payload}`)),
        ["progress:started", "progress:thinking", "token:two ", "token:words ", "result:a: two words"]
      )
      const failed = yield* Effect.flip(Stream.runCollect(node.executeStream("failing", Message.make("x"))))
      assert.instanceOf(failed, AgentFailed)
    }))

  // Its restart spawns a node process, which takes long on a loaded machine: a bound above the default.
  test("a node killed mid-call gives a typed error at once; restarted on its port, it serves again", () =>
    Effect.gen(function* () {
      const { c: first, cPort: port } = yield* Nodes
      const runtime = yield* caller({ "*": first.endpoint })
      const message = Message.make("x")
      const started = Date.now()
      const call = yield* Effect.fork(runtime.call("hang", message, { timeout: "20 seconds" }))
      yield* first.waitForLine(`started ${message.id}`, "5 seconds")
      yield* first.kill
      const error = yield* Effect.flip(Fiber.join(call))
      assert.instanceOf(error, TransportError)
      assert.isBelow(Date.now() - started, 10_000, "the failure came well before the 20 s deadline")

      yield* spawnNode({ NODE_ID: "c2", PORT: String(port) })
      // The channel reconnects by itself (backoff ≤ 1 s); a few quick retries cover the gap.
      const reply = yield* runtime.call("echo", Message.make("back")).pipe(
        Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 25, while: (e) => e._tag === "TransportError" })
      )
      assert.strictEqual(reply.payload, "c2: back")
    }), 90_000)

  test("callAll over two processes keeps order and typed failures", () =>
    Effect.gen(function* () {
      const { a, b } = yield* Nodes
      const runtime = yield* caller({ echo: a.endpoint, stream: b.endpoint, "*": b.endpoint })
      const results = yield* runtime.callAll(["echo", "stream", "ghost"], Message.make("q"))
      assert.deepStrictEqual(
        results.map(Either.match({ onLeft: (e) => `error:${e._tag}`, onRight: (m) => m.payload })),
        ["a: q", "b: q", "error:AgentNotFound"]
      )
    }))

  test("the costs of a call come home: the caller's ledger (and its report) sees the serving node's model calls", () =>
    Effect.gen(function* () {
      const { a } = yield* Nodes
      const runtime = yield* caller({ "*": a.endpoint })
      const ledger = yield* CostLedger.make
      const inRun = <A, E>(effect: Effect.Effect<A, E>) =>
        effect.pipe(CallContext.withPattern("shop-flow"), CallContext.withRun("run-7", "shopping"), Effect.provideService(CostLedger.CostLedger, ledger))
      assert.strictEqual((yield* inRun(runtime.call("costly", Message.make("go")))).payload, "a: spent")
      // A failed call brings its costs home too.
      assert.instanceOf(yield* Effect.flip(inRun(runtime.call("costly", Message.make("fail")))), AgentFailed)
      const entries = yield* ledger.entries
      assert.deepStrictEqual(
        entries.map((e) => [e.runId, e.workflow, e.agent, e.patternPath.join("/"), `${e.provider}:${e.model}`, e.usage.inputTokens, e.costUsd, e.error ?? "ok"]),
        [
          ["run-7", "shopping", "costly", "shop-flow", "local:heuristic", 12, 0, "ok"],
          ["run-7", "shopping", "costly", "shop-flow", "acme:big-1", 100, null, "RateLimited"],
          ["run-7", "shopping", "costly", "shop-flow", "local:heuristic", 12, 0, "ok"],
          ["run-7", "shopping", "costly", "shop-flow", "acme:big-1", 100, null, "RateLimited"]
        ]
      )
      const [run] = RunReport.fromLedger(entries)
      assert.strictEqual(run?.totals.calls, 4)
      assert.strictEqual(run?.totals.usage.inputTokens, 224)
      // Streamed calls too.
      const context = yield* Layer.build(DistributedRuntime.layer({ peers: { costly: a.endpoint } }))
      const streamed = Context.get(context, DistributedRuntime.Node).executeStream("costly", Message.make("go"))
      yield* Stream.runDrain(streamed).pipe(Effect.provideService(CostLedger.CostLedger, ledger))
      assert.strictEqual((yield* ledger.entries).length, 6)
    }))

  test("an application's own error crosses as the same class, caught by tag; unregistered, it keeps tag, message and fields", () =>
    Effect.gen(function* () {
      const { a } = yield* Nodes
      const knowing = yield* caller({ "*": a.endpoint }, { errors: [OutOfStock] })
      const caught = yield* knowing.call("shop", Message.make("sku-9")).pipe(
        Effect.map(() => "no error"),
        Effect.catchTag("OutOfStock", (error) => Effect.succeed(`${error.sku} left ${error.left} until ${error.restockedAt.toISOString()}`))
      )
      assert.strictEqual(caught, "sku-9 left 0 until 2027-01-02T03:04:05.000Z")
      const error = yield* Effect.flip(knowing.call("shop", Message.make("sku-9")))
      assert.instanceOf(error, OutOfStock)
      assert.isTrue(Schema.is(OutOfStock)(error))

      const unaware = yield* caller({ "*": a.endpoint })
      const fallback = yield* Effect.flip(unaware.call("shop", Message.make("sku-9")))
      assert.instanceOf(fallback, UnregisteredAgentError)
      if (fallback instanceof UnregisteredAgentError) {
        assert.strictEqual(fallback.tag, "OutOfStock")
        assert.strictEqual(fallback.message, "sku-9 is out of stock")
        assert.deepStrictEqual(fallback.fields, { _tag: "OutOfStock", message: "sku-9 is out of stock", sku: "sku-9", left: 0, restockedAt: "2027-01-02T03:04:05.000Z" })
      }
    }))

  test("ExecuteStream chooses endpoints as Execute does: round robin, failover from a dead one, a deadline", () =>
    Effect.gen(function* () {
      const { a, b } = yield* Nodes
      const dead = `127.0.0.1:${yield* freePort}`
      const context = yield* Layer.build(DistributedRuntime.layer({ peers: { stream: [a.endpoint, b.endpoint], hang: a.endpoint, echo: [dead, b.endpoint] } }))
      const node = Context.get(context, DistributedRuntime.Node)
      const resultOf = (name: string, payload: string) =>
        Effect.map(Stream.runCollect(node.executeStream(name, Message.make(payload))), (events) => {
          const last = Chunk.toReadonlyArray(events).at(-1)
          return last?._tag === "Result" ? last.message.payload : "no result"
        })
      const replies = yield* Effect.forEach(["1", "2", "3", "4"], (p) => resultOf("stream", p))
      assert.deepStrictEqual(replies, ["a: 1", "b: 2", "a: 3", "b: 4"])
      assert.deepStrictEqual(yield* Effect.forEach(["x", "y"], (p) => resultOf("echo", p)), ["b: x", "b: y"])
      const message = Message.make("x")
      const timedOut = yield* Effect.flip(Stream.runDrain(node.executeStream("hang", message, { timeout: "300 millis" })))
      assert.instanceOf(timedOut, CallTimeout)
      yield* a.waitForLine(`interrupted ${message.id}`, "5 seconds")
    }))

  test("list and ready agree when one replica of an agent is dead", () =>
    Effect.gen(function* () {
      const { a } = yield* Nodes
      const dead = `127.0.0.1:${yield* freePort}`
      for (const replicas of [[dead, a.endpoint], [a.endpoint, dead]]) {
        const runtime = yield* caller({ echo: replicas })
        const listed = (yield* runtime.list).find((info) => info.name === "echo")
        assert.isTrue(yield* runtime.ready("echo"))
        assert.deepStrictEqual([listed?.ready, listed?.location], [true, a.endpoint])
      }
    }))
})
