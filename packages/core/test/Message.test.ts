import { assert, describe, it } from "@effect/vitest"
import { Message } from "@aixfx/core"
import { Effect, Equal, Hash, Schema } from "effect"

const Order = Schema.Struct({
  id: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, quantity: Schema.Number.pipe(Schema.int(), Schema.positive()) }))
})

describe("Message", () => {
  it("make fills id, type, metadata and timestamp", () => {
    const m = Message.make("hi")
    assert.strictEqual(m.payload, "hi")
    assert.strictEqual(m.type, "text")
    assert.deepStrictEqual(m.metadata, {})
    assert.match(m.id, /^[0-9a-f-]{36}$/)
    assert.isTrue(m.timestamp > 0)
  })

  it.effect("round-trips through JSON unchanged", () =>
    Effect.gen(function* () {
      const m = Message.fromValue({ a: [1, "two", null, { b: true }] }, { metadata: { trace: { depth: 2, tags: ["x"] } } })
      const back = yield* Message.fromJsonString(Message.toJsonString(m))
      assert.deepStrictEqual(back, m)
      assert.strictEqual(back.type, "json")
    }))

  it.effect("decodePayload decodes a typed payload", () =>
    Effect.gen(function* () {
      const order = yield* Message.decodePayload(Order)(Message.fromValue({ id: "o1", lines: [{ sku: "a", quantity: 2 }] }))
      assert.strictEqual(order.lines[0]?.quantity, 2)
    }))

  it.effect("a bad payload fails with PayloadDecodeError naming the field path", () =>
    Effect.gen(function* () {
      const m = Message.fromValue({ id: "o1", lines: [{ sku: "a", quantity: 2 }, { sku: "b", quantity: -1 }] })
      const error = yield* Effect.flip(Message.decodePayload(Order)(m))
      assert.strictEqual(error._tag, "PayloadDecodeError")
      assert.strictEqual(error.path, "$.lines.1.quantity")
      assert.include(error.message, m.id)
      assert.include(error.message, "$.lines.1.quantity")
    }))

  it.effect("a payload that is not JSON fails at the root path", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Message.decodePayload(Order)(Message.make("not json")))
      assert.strictEqual(error.path, "$")
      assert.include(error.issue, "not JSON")
    }))

  it.effect("metadata must be JSON-safe", () =>
    Effect.gen(function* () {
      const bad = { id: "1", type: "t", payload: "", metadata: { n: Number.NaN }, timestamp: 1 }
      const result = yield* Effect.either(Schema.decodeUnknown(Message.Message)(bad))
      assert.isTrue(result._tag === "Left")
    }))

  it("reply links to the input and never mutates it", () => {
    const input = Message.make({ payload: "q", metadata: { session: "s1" } })
    const out = Message.reply(input, { payload: "a", metadata: { agent: "x" } })
    assert.deepStrictEqual(out.metadata, { session: "s1", agent: "x", inReplyTo: input.id })
    assert.deepStrictEqual(input.metadata, { session: "s1" })
    assert.strictEqual(out.type, "text")
    const typed = Message.reply(input, { payload: "{}", type: "json", id: "r-1", timestamp: 7 })
    assert.deepStrictEqual([typed.type, typed.id, typed.timestamp], ["json", "r-1", 7])
  })
})

describe("Message construction", () => {
  it("builds the same instance as the Schema class's constructor", () => {
    const fields = { id: "m-1", type: "text", payload: "p", metadata: { a: [1, { b: "c" }] }, timestamp: 5 }
    const made = Message.make(fields)
    const constructed = new Message.Message(fields, { disableValidation: true })
    assert.instanceOf(made, Message.Message)
    assert.isTrue(Equal.equals(made, constructed))
    assert.strictEqual(Hash.hash(made), Hash.hash(constructed))
    assert.isTrue(Schema.is(Message.Message)(made))
    assert.deepStrictEqual(Schema.encodeSync(Message.Message)(made), Schema.encodeSync(Message.Message)(constructed))
    assert.deepStrictEqual(Object.keys(made), Object.keys(constructed))
  })

  it("rejects metadata that is not JSON-safe, naming the path", () => {
    assert.throws(() => Message.make({ payload: "x", metadata: { a: { b: [1, Number.NaN] } } }), /metadata\.a\.b\.1/)
    assert.throws(() => Message.make({ payload: "x", metadata: { when: new Date() as never } }), /metadata\.when/)
    assert.doesNotThrow(() => Message.make({ payload: "x", metadata: { a: [null, true, "s", 1.5, { b: [] }] } }))
  })
})

describe("Message id sources (durable runs)", () => {
  it.effect("a fiber with an id source makes messages with its ids and times; other fibers keep random ids", () =>
    Effect.gen(function* () {
      let n = 0
      const source: Message.IdSource = { next: () => ({ id: `step-${n++}`, timestamp: 42 }) }
      const release = Message.enableIdSource()
      try {
        const [a, b] = yield* Effect.sync(() => [Message.make("a"), Message.reply(Message.make({ payload: "x", id: "given" }), "b")]).pipe(
          Effect.provideService(Message.CurrentIdSource, source)
        )
        assert.deepStrictEqual([a!.id, a!.timestamp, b!.id, b!.metadata["inReplyTo"]], ["step-0", 42, "step-2", "given"])
        const outside = Message.make("c")
        assert.notStrictEqual(outside.id.slice(0, 5), "step-")
      } finally {
        release()
      }
    }))
})
