/**
 * `Agent.llm({ output })` on the real OpenAI and Anthropic SDKs against wire-compatible fakes: the
 * schema goes out as the provider's structured output, and the reply decodes to the typed value.
 */
import { Agent, LanguageModel, Message } from "@aixfx/core"
import { Anthropic, OpenAi } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import * as FakeServer from "./fakeServer.js"
import { ledgerAndPricing, SECRET } from "./support.js"

const Answer = Schema.Struct({ answer: Schema.String, confidence: Schema.Number })
const solver = Agent.llm({ name: "solver", instructions: "Answer briefly.", output: Answer })

describe("Agent.llm with output over the providers", () => {
  it.scoped("OpenAI: response_format json_schema, and the reply decodes", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ json: FakeServer.openAiCompletion({ text: '{"answer":"4","confidence":0.9}' }) })
      const model = OpenAi.make({ apiKey: Redacted.make(SECRET), baseURL: `${server.url}/v1` })
      const reply = yield* solver.execute(Message.make("2+2?")).pipe(Effect.provideService(LanguageModel.LanguageModel, model))
      assert.deepStrictEqual(yield* solver.decode(reply), { answer: "4", confidence: 0.9 })
      const format = server.requests[0]!.body.response_format
      assert.strictEqual(format.type, "json_schema")
      assert.deepStrictEqual(format.json_schema.schema.required, ["answer", "confidence"])
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("Anthropic: a forced tool whose input is the answer; a wrong type is MalformedOutput naming agent and field", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      const toolAnswer = (input: object) =>
        ({ json: FakeServer.anthropicMessage({ content: [{ type: "tool_use", id: "tu_1", name: Anthropic.RESPONSE_TOOL, input }], stop: "tool_use" }) })
      server.reply(toolAnswer({ answer: "4", confidence: 0.8 }), toolAnswer({ answer: "4", confidence: "high" }))
      const model = Anthropic.make({ apiKey: Redacted.make(SECRET), baseURL: server.url })
      const run = solver.execute(Message.make("2+2?")).pipe(Effect.provideService(LanguageModel.LanguageModel, model))
      assert.deepStrictEqual(yield* solver.decode(yield* run), { answer: "4", confidence: 0.8 })
      assert.deepStrictEqual(server.requests[0]!.body.tool_choice, { type: "tool", name: Anthropic.RESPONSE_TOOL })
      const error = yield* Effect.flip(run)
      assert.strictEqual(error._tag, "MalformedOutput")
      assert.include(error.message, 'Agent "solver"')
      assert.include(error.message, "$.confidence")
    }).pipe(Effect.provide(ledgerAndPricing)))
})
