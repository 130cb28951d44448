import { Agent, AgentRuntime, CostLedger, LocalRuntime, Message, Telemetry, Workflow } from "@aixfx/core"
import { OpenAi, withCostTracking } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as FakeServer from "./fakeServer.js"
import { SECRET } from "./support.js"

describe("Agent.llm on OpenAI (fake server), with cost tracking and telemetry", () => {
  it.scoped("runs a tool round trip; the chat spans carry usage and cost, and no span holds the key", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(
        { json: FakeServer.openAiCompletion({ toolCalls: [{ id: "call_1", name: "add", arguments: '{"a":2,"b":3}' }], usage: { prompt: 100, completion: 10 } }) },
        { json: FakeServer.openAiCompletion({ text: "2 + 3 = 5", usage: { prompt: 120, completion: 8 } }) },
        { status: 401, json: { error: { message: `Incorrect API key provided: ${SECRET}` } } }
      )
      const exporter = new Telemetry.InMemorySpanExporter()
      const calculator = Agent.llm({
        name: "calculator",
        instructions: "Add numbers with the add tool.",
        tools: [
          {
            name: "add",
            description: "Adds two numbers",
            parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
            handler: ({ a, b }) => Effect.succeed(String(a + b))
          }
        ]
      })
      const model = withCostTracking().pipe(Layer.provide(OpenAi.layer({ apiKey: Redacted.make(SECRET), baseURL: `${server.url}/v1` })))
      const { reply, failure, entries, spans } = yield* Effect.gen(function* () {
        yield* AgentRuntime.register(calculator)
        const reply = yield* AgentRuntime.call("calculator", Message.make("What is 2 + 3?")).pipe(Workflow.run("sum"))
        const failure = yield* Effect.flip(AgentRuntime.call("calculator", Message.make("again")))
        // read while the telemetry layer is in scope (its shutdown empties the exporter)
        return { reply, failure, entries: yield* CostLedger.entries, spans: exporter.getFinishedSpans() }
      }).pipe(Effect.provide(Layer.mergeAll(LocalRuntime.layer(), model, CostLedger.layer, Telemetry.layerMemory(exporter))))

      assert.strictEqual(reply.payload, "2 + 3 = 5")
      assert.deepStrictEqual(server.requests[1]!.body.messages.at(-1), { role: "tool", tool_call_id: "call_1", content: "5" })
      assert.strictEqual(failure._tag, "AuthenticationFailed")
      assert.deepStrictEqual(entries.map((e) => e.agent), ["calculator", "calculator", "calculator"])
      assert.deepStrictEqual(entries.map((e) => e.error), [undefined, undefined, "AuthenticationFailed"], "the refused call is recorded, with its error and no usage")
      assert.strictEqual(entries[2]!.usage.inputTokens, 0)
      const chats = spans.filter((s) => s.name === "chat gpt-4o-mini")
      assert.strictEqual(chats.length, 3)
      assert.strictEqual(chats[0]!.attributes["gen_ai.usage.input_tokens"], 100)
      assert.closeTo(chats[0]!.attributes["gen_ai.usage.cost"] as number, (100 * 0.15 + 10 * 0.6) / 1e6, 1e-15)
      assert.strictEqual(chats[0]!.attributes["gen_ai.response.model"], "gpt-4o-mini-2024-07-18")
      assert.isString(chats[0]!.attributes["langfuse.observation.cost_details"])
      assert.strictEqual(chats[2]!.attributes["error.type"], "AuthenticationFailed")
      const everything = JSON.stringify(spans.map((s) => ({ attributes: s.attributes, events: s.events, status: s.status })))
      assert.notInclude(everything, SECRET.slice(8), "the key is in no span, event or status")
    }))
})
