/**
 * `Agent.llm({ output })`: the model is asked for structured output, the reply's payload is the
 * checked JSON, `agent.decode(reply)` gives the typed value, and a mismatch is `MalformedOutput`
 * naming the agent and the field. On the offline model, and on a model that answers what it likes.
 */
import { Agent, AgentRuntime, LanguageModel, LocalHeuristicModel, LocalRuntime, Message, Usage } from "@aixfx/core"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"

const Ticket = Schema.Struct({
  category: Schema.Literal("billing", "technical"),
  summary: Schema.String
})

const triage = Agent.llm({
  name: "triage",
  instructions: "Triage the support request.\n- billing: invoice, refund, payment, charge\n- technical: error, crash, bug, install",
  output: Ticket
})

const offline = AgentRuntime.layerAgents(triage).pipe(Layer.provideMerge(LocalRuntime.layer()), Layer.provide(LocalHeuristicModel.layer()))

/** A model that answers `text` whatever it is asked, and remembers the requests. */
const answering = (text: string) => {
  const requests: Array<LanguageModel.GenerateRequest> = []
  const model = LanguageModel.make({
    provider: "scripted",
    defaultModel: "scripted-1",
    generate: (request) =>
      Effect.sync(() => {
        requests.push(request)
        return { text, toolCalls: [], finishReason: "stop", provider: "scripted", model: request.model, usage: Usage.make({ inputTokens: 1, outputTokens: 1 }) }
      })
  })
  return { requests, layer: Layer.succeed(LanguageModel.LanguageModel, model) }
}

describe("Agent.llm with output", () => {
  it.effect("offline: the reply is JSON of the schema, and decode gives the typed value", () =>
    Effect.gen(function* () {
      const reply = yield* AgentRuntime.call(triage, Message.make("I was charged twice for one invoice. Please refund the payment."))
      assert.strictEqual(reply.type, "json")
      const ticket = yield* triage.decode(reply)
      const category: "billing" | "technical" = ticket.category
      assert.strictEqual(category, "billing")
      assert.strictEqual(ticket.summary, "I was charged twice for one invoice.", "nothing to quote but the request: its first sentence")
      const crash = yield* triage.decode(yield* AgentRuntime.call(triage, Message.make("The app crashes with an error on install.")))
      assert.strictEqual(crash.category, "technical")
    }).pipe(Effect.provide(offline)))

  it.effect("offline: a field the heuristics cannot fill is MalformedOutput naming the agent and the field", () =>
    Effect.gen(function* () {
      const rated = Agent.llm({ name: "rated", instructions: "Answer the question.", output: Schema.Struct({ answer: Schema.String, priority: Schema.Number }) })
      const error = yield* Effect.flip(rated.execute(Message.make("What is a refund?")))
      assert.strictEqual(error._tag, "MalformedOutput")
      assert.include(error.message, 'Agent "rated"')
      assert.include(error.message, "$.priority")
    }).pipe(Effect.provide(LocalHeuristicModel.layer())))

  it.effect("the schema is sent to the model as responseSchema; a wrong value is MalformedOutput at its field", () => {
    const model = answering(JSON.stringify({ category: "sales", summary: "wants a discount" }))
    return Effect.gen(function* () {
      const error = yield* Effect.flip(triage.execute(Message.make("discount?")))
      assert.strictEqual(model.requests[0]!.responseSchema, Ticket)
      assert.strictEqual(error._tag, "MalformedOutput")
      if (error._tag !== "MalformedOutput") return
      assert.match(error.message, /^Agent "triage": the model's answer does not match its output schema at \$\.category: /)
      assert.strictEqual(error.output, JSON.stringify({ category: "sales", summary: "wants a discount" }))
    }).pipe(Effect.provide(model.layer))
  })

  it.effect("an answer that is not JSON is MalformedOutput too; a matching one replies with the checked JSON", () =>
    Effect.gen(function* () {
      const prose = yield* Effect.flip(triage.execute(Message.make("x")).pipe(Effect.provide(answering("It is about billing.").layer)))
      assert.strictEqual(prose._tag, "MalformedOutput")
      assert.include(prose.message, 'Agent "triage"')
      const reply = yield* triage.execute(Message.make("x")).pipe(Effect.provide(answering(' {"summary": "refund", "category": "billing"} ').layer))
      assert.deepStrictEqual(JSON.parse(reply.payload), { category: "billing", summary: "refund" })
      assert.deepStrictEqual(yield* triage.decode(reply), { category: "billing", summary: "refund" })
    }))

  it.effect("decode of a reply that is not this agent's names the field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(triage.decode(Message.make({ type: "json", payload: '{"category":"billing"}' })))
      assert.strictEqual(error._tag, "PayloadDecodeError")
      assert.strictEqual(error.path, "$.summary")
    }))
})
