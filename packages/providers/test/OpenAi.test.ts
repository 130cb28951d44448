import { AuthenticationFailed, CostLedger, LanguageModel, LlmTimeout, MalformedOutput, NetworkError, ProviderUnavailable } from "@aixfx/core"
import { OpenAi } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Redacted, Schema, Stream, TestClock } from "effect"
import * as FakeServer from "./fakeServer.js"
import { advanceUntil, ledgerAndPricing, SECRET, user } from "./support.js"

const modelFor = (server: FakeServer.FakeServer, options: Partial<OpenAi.Options> = {}) =>
  OpenAi.make({ apiKey: Redacted.make(SECRET), baseURL: `${server.url}/v1`, ...options })

const withModel = (server: FakeServer.FakeServer, options: Partial<OpenAi.Options> = {}) =>
  Effect.provideService(LanguageModel.LanguageModel, modelFor(server, options))

const streamFrom = (server: FakeServer.FakeServer, request: LanguageModel.GenerateRequest) => modelFor(server).stream(request)

describe("OpenAi (real SDK against a wire-compatible fake server)", () => {
  it.scoped("generates text with usage, cost and request id, sending the key only in the header", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ json: FakeServer.openAiCompletion({ text: "Hello!", usage: { prompt: 1000, completion: 200, cached: 400, reasoning: 50 } }) })
      const response = yield* LanguageModel.generate({ ...user("hi"), maxTokens: 300, temperature: 0 }).pipe(withModel(server))
      assert.strictEqual(response.text, "Hello!")
      assert.strictEqual(response.model, "gpt-4o-mini-2024-07-18")
      assert.strictEqual(response.requestId, "req_1")
      assert.deepInclude(response.usage, { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 400, reasoningTokens: 50 })
      const sent = server.requests[0]!
      assert.strictEqual(sent.path, "/v1/chat/completions")
      assert.strictEqual(sent.headers.authorization, `Bearer ${SECRET}`)
      assert.deepStrictEqual(sent.body.messages, [{ role: "user", content: "hi" }])
      assert.strictEqual(sent.body.max_completion_tokens, 300)
      const [entry] = yield* CostLedger.entries
      // gpt-4o-mini: 600 uncached × $0.15 + 400 cached × $0.075 + 200 output × $0.60 per 1M
      assert.closeTo(entry!.costUsd!, (600 * 0.15 + 400 * 0.075 + 200 * 0.6) / 1e6, 1e-15)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("sends tools and a response schema as JSON Schema, and parses tool calls", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(
        { json: FakeServer.openAiCompletion({ toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }] }) },
        { json: FakeServer.openAiCompletion({ text: '{"answer":"4"}' }) }
      )
      const weather = { name: "weather", description: "Weather in a city", parameters: Schema.Struct({ city: Schema.String }) }
      const first = yield* LanguageModel.generate({ ...user("weather in Oslo?"), tools: [weather], toolChoice: "auto" }).pipe(withModel(server))
      assert.deepStrictEqual(first.toolCalls, [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }])
      assert.strictEqual(first.finishReason, "tool_calls")
      const sentTool = server.requests[0]!.body.tools[0]
      assert.strictEqual(sentTool.function.name, "weather")
      assert.deepStrictEqual(sentTool.function.parameters.properties, { city: { type: "string" } })
      assert.isUndefined(sentTool.function.parameters.$schema)

      const { value } = yield* LanguageModel.generateObject(user("2+2?"), Schema.Struct({ answer: Schema.String })).pipe(withModel(server))
      assert.deepStrictEqual(value, { answer: "4" })
      const format = server.requests[1]!.body.response_format
      assert.strictEqual(format.type, "json_schema")
      assert.deepStrictEqual(format.json_schema.schema.required, ["answer"])
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("sends an assistant turn's tool calls and the tool results back", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ json: FakeServer.openAiCompletion({ text: "It is sunny." }) })
      yield* LanguageModel.generate({
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "weather?" },
          { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "weather", arguments: "{}" }] },
          { role: "tool", toolCallId: "call_1", name: "weather", content: "sunny" }
        ]
      }).pipe(withModel(server))
      const messages = server.requests[0]!.body.messages
      assert.deepStrictEqual(messages[2].tool_calls, [{ id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } }])
      assert.deepStrictEqual(messages[3], { role: "tool", tool_call_id: "call_1", content: "sunny" })
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("streams deltas and tool calls, ending with the usage reported by include_usage", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({
        sse: [
          FakeServer.openAiChunk({ role: "assistant", content: "" }),
          FakeServer.openAiChunk({ content: "Hel" }),
          FakeServer.openAiChunk({ content: "lo" }),
          FakeServer.openAiChunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "look", arguments: '{"q":' } }] }),
          FakeServer.openAiChunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }, "tool_calls"),
          { data: { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini-2024-07-18", choices: [], usage: FakeServer.openAiUsage({ prompt: 12, completion: 7 }) } },
          { data: "[DONE]" }
        ]
      })
      const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(streamFrom(server, user("hi"))))
      assert.deepStrictEqual(parts.slice(0, 2), [{ _tag: "TextDelta", text: "Hel" }, { _tag: "TextDelta", text: "lo" }])
      assert.deepStrictEqual(parts[2], { _tag: "ToolCall", toolCall: { id: "call_1", name: "look", arguments: '{"q":"x"}' } })
      const finish = parts[3]
      assert(finish?._tag === "Finish")
      assert.strictEqual(finish.finishReason, "tool_calls")
      assert.deepInclude(finish.usage, { inputTokens: 12, outputTokens: 7 })
      assert.deepStrictEqual(server.requests[0]!.body.stream_options, { include_usage: true })
      const [entry] = yield* CostLedger.entries
      assert.strictEqual(entry!.usage.outputTokens, 7)
      assert.isAbove(entry!.costUsd!, 0)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("a stream cut mid-way fails with NetworkError and records the usage of what arrived", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({
        sse: [FakeServer.openAiChunk({ content: "The quick brown fox " }), FakeServer.openAiChunk({ content: "jumps over" })],
        cut: true
      })
      const received: Array<LanguageModel.StreamPart> = []
      const error = yield* Stream.runForEach(streamFrom(server, user("tell me")), (p) =>
        Effect.sync(() => received.push(p))
      ).pipe(Effect.flip)
      assert.instanceOf(error, NetworkError)
      assert.strictEqual(received.filter((p) => p._tag === "TextDelta").length, 2)
      const [entry] = yield* CostLedger.entries
      assert.strictEqual(entry!.error, "NetworkError")
      // "The quick brown fox jumps over" is 6 tokens in o200k_base
      assert.strictEqual(entry!.usage.outputTokens, 6)
      assert.isAbove(entry!.usage.inputTokens, 0)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("429 with retry-after-ms waits that long (TestClock), then succeeds", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(
        { status: 429, json: { error: { message: "Rate limit reached" } }, headers: { "retry-after-ms": "5000" } },
        { json: FakeServer.openAiCompletion({ text: "ok" }) }
      )
      const fiber = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      yield* server.waitForRequests(1)
      const waited = yield* advanceUntil(() => server.requests.length >= 2)
      assert.isAtLeast(waited, 5000, "the retry waits for retry-after-ms, not the 500 ms backoff")
      assert.strictEqual((yield* Fiber.join(fiber)).text, "ok")
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("500 then success: retried with backoff", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ status: 500, json: { error: { message: "boom" } } }, { json: FakeServer.openAiCompletion({ text: "ok" }) })
      const fiber = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      yield* server.waitForRequests(1)
      yield* advanceUntil(() => server.requests.length >= 2)
      assert.strictEqual((yield* Fiber.join(fiber)).text, "ok")
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("retries stop after `times`, ending with the typed error", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(...Array.from({ length: 3 }, () => ({ status: 503, json: { error: { message: "overloaded" } } })))
      const fiber = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server, { retry: { times: 2 } })))
      yield* advanceUntil(() => server.requests.length >= 3)
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.instanceOf(error, ProviderUnavailable)
      assert.strictEqual(error.status, 503)
      assert.strictEqual(server.requests.length, 3)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("401 is AuthenticationFailed, not retried, and never shows the key", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ status: 401, json: { error: { message: `Incorrect API key provided: ${SECRET}`, code: "invalid_api_key" } } })
      const error = yield* Effect.flip(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      assert.instanceOf(error, AuthenticationFailed)
      assert.strictEqual(error.status, 401)
      assert.strictEqual(error.requestId, "req_1")
      assert.include(error.message, "OpenAI gpt-4o-mini: HTTP 401 Incorrect API key provided")
      assert.notInclude(JSON.stringify(error), SECRET.slice(8))
      assert.strictEqual(server.requests.length, 1)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("a malformed JSON body is a typed error", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ status: 200, raw: '{"id": "chatcmpl-1", "choices": [' })
      const error = yield* Effect.flip(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      assert.instanceOf(error, MalformedOutput)
      assert.include(error.message, "not valid JSON")
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("a call without an answer times out (TestClock) and the connection is closed", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ hang: true })
      const fiber = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server, { timeout: "5 seconds", retry: { times: 0 } })))
      yield* server.waitForRequests(1)
      yield* TestClock.adjust("5 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.instanceOf(error, LlmTimeout)
      assert.strictEqual(error.timeoutMs, 5000)
      yield* server.waitForAborted(1)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("interrupting the fiber aborts the HTTP request (the server sees the connection close)", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ hang: true })
      const call = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      yield* server.waitForRequests(1)
      const exit = yield* Fiber.interrupt(call)
      assert.isTrue(Exit.isInterrupted(exit))
      yield* server.waitForAborted(1)
      assert.strictEqual(server.abortedCount(), 1)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("interrupting a stream mid-way closes its connection", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ sse: [FakeServer.openAiChunk({ content: "partial" })], hold: true })
      const first = yield* Stream.runHead(streamFrom(server, user("hi")))
      assert.deepStrictEqual(first._tag === "Some" ? first.value : undefined, { _tag: "TextDelta", text: "partial" })
      yield* server.waitForAborted(1)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("an OpenAI-compatible endpoint (Ollama) takes max_tokens, no key, and costs $0", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ json: FakeServer.openAiCompletion({ text: "hi", model: "llama3.1" }) })
      yield* LanguageModel.generate({ ...user("hi"), maxTokens: 50 }).pipe(
        Effect.provideService(LanguageModel.LanguageModel, OpenAi.make({ baseURL: `${server.url}/v1`, provider: "ollama", model: "llama3.1" }))
      )
      assert.strictEqual(server.requests[0]!.body.max_tokens, 50)
      const [entry] = yield* CostLedger.entries
      assert.strictEqual(entry!.provider, "ollama")
      assert.strictEqual(entry!.costUsd, 0)
    }).pipe(Effect.provide(ledgerAndPricing)))
})
