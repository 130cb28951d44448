import {
  AuthenticationFailed,
  ContextLengthExceeded,
  CostLedger,
  LanguageModel,
  LlmTimeout,
  NetworkError,
  ProviderUnavailable,
  RateLimited,
  Tokenizer
} from "@aixfx/core"
import { Anthropic } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Redacted, Schema, Stream, TestClock } from "effect"
import * as FakeServer from "./fakeServer.js"
import { advanceUntil, ledgerAndPricing, SECRET, user } from "./support.js"

const modelFor = (server: FakeServer.FakeServer, options: Partial<Anthropic.Options> = {}) =>
  Anthropic.make({ apiKey: Redacted.make(SECRET), baseURL: server.url, ...options })

const withModel = (server: FakeServer.FakeServer, options: Partial<Anthropic.Options> = {}) =>
  Effect.provideService(LanguageModel.LanguageModel, modelFor(server, options))

const streamEvents = (text: ReadonlyArray<string>, usage: { input: number; cacheRead?: number }) => [
  {
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        ...FakeServer.anthropicMessage({ content: [], usage: { input: usage.input, output: 1, cacheRead: usage.cacheRead ?? 0 } }),
        stop_reason: null
      }
    }
  },
  { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } },
  ...text.map((t) => ({ event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: t } } }))
]

const streamEnd = (output: number) => [
  { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
  { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: output } } },
  { event: "message_stop", data: { type: "message_stop" } }
]

describe("Anthropic (real SDK against a wire-compatible fake server)", () => {
  it.scoped("generates text; cache read/write tokens are priced at their own rates", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({
        json: FakeServer.anthropicMessage({
          content: [{ type: "text", text: "Bonjour" }],
          usage: { input: 100, output: 50, cacheRead: 1000, cacheWrite: 200 }
        })
      })
      const response = yield* LanguageModel.generate({
        messages: [{ role: "system", content: "Answer in French" }, { role: "user", content: "hello" }]
      }).pipe(withModel(server, { model: "claude-sonnet-4-5" }))
      assert.strictEqual(response.text, "Bonjour")
      assert.strictEqual(response.requestId, "req_1")
      assert.deepInclude(response.usage, { inputTokens: 1300, outputTokens: 50, cachedInputTokens: 1000, cacheWriteTokens: 200 })
      const sent = server.requests[0]!
      assert.strictEqual(sent.path, "/v1/messages")
      // SDK 1.12 sends the key as a bearer token
      assert.strictEqual(sent.headers.authorization ?? `Bearer ${sent.headers["x-api-key"]}`, `Bearer ${SECRET}`)
      assert.strictEqual(sent.body.system, "Answer in French")
      assert.strictEqual(sent.body.max_tokens, 4096)
      const [entry] = yield* CostLedger.entries
      // claude-sonnet-4-5 (dated snapshot in the response): 100 × $3 + 1000 × $0.30 + 200 × $3.75 + 50 × $15 per 1M
      assert.closeTo(entry!.costUsd!, (100 * 3 + 1000 * 0.3 + 200 * 3.75 + 50 * 15) / 1e6, 1e-15)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("tool use: sends input_schema, reads tool_use blocks, sends tool results as user turns", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(
        { json: FakeServer.anthropicMessage({ content: [{ type: "tool_use", id: "tu_1", name: "weather", input: { city: "Oslo" } }], stop: "tool_use" }) },
        { json: FakeServer.anthropicMessage({ content: [{ type: "text", text: "Sunny" }] }) }
      )
      const weather = { name: "weather", description: "Weather in a city", parameters: Schema.Struct({ city: Schema.String }) }
      const first = yield* LanguageModel.generate({ ...user("weather in Oslo?"), tools: [weather], toolChoice: "required" }).pipe(withModel(server))
      assert.deepStrictEqual(first.toolCalls, [{ id: "tu_1", name: "weather", arguments: '{"city":"Oslo"}' }])
      assert.strictEqual(first.finishReason, "tool_calls")
      assert.deepStrictEqual(server.requests[0]!.body.tool_choice, { type: "any" })
      assert.deepStrictEqual(server.requests[0]!.body.tools[0].input_schema.properties, { city: { type: "string" } })

      yield* LanguageModel.generate({
        messages: [
          { role: "user", content: "weather in Oslo?" },
          { role: "assistant", content: "", toolCalls: first.toolCalls },
          { role: "tool", toolCallId: "tu_1", name: "weather", content: "sunny" }
        ],
        tools: [weather]
      }).pipe(withModel(server))
      const messages = server.requests[1]!.body.messages
      assert.deepStrictEqual(messages[1].content, [{ type: "tool_use", id: "tu_1", name: "weather", input: { city: "Oslo" } }])
      assert.deepStrictEqual(messages[2], { role: "user", content: [{ type: "tool_result", tool_use_id: "tu_1", content: "sunny" }] })
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("structured output is a forced tool whose input is the answer", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({
        json: FakeServer.anthropicMessage({ content: [{ type: "tool_use", id: "tu_1", name: Anthropic.RESPONSE_TOOL, input: { answer: "4" } }], stop: "tool_use" })
      })
      const { response, value } = yield* LanguageModel.generateObject(user("2+2?"), Schema.Struct({ answer: Schema.String })).pipe(withModel(server))
      assert.deepStrictEqual(value, { answer: "4" })
      assert.strictEqual(response.finishReason, "stop")
      assert.deepStrictEqual(server.requests[0]!.body.tool_choice, { type: "tool", name: Anthropic.RESPONSE_TOOL })
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("prompt caching by option: cache_control on the system prompt and the last tool; 1-hour writes and reads priced at their rates", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      const written = FakeServer.anthropicMessage({ content: [{ type: "text", text: "ok" }], usage: { input: 10, output: 5, cacheWrite: 1000 } })
      server.reply(
        { json: { ...written, usage: { ...written.usage, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1000 } } } },
        { json: FakeServer.anthropicMessage({ content: [{ type: "text", text: "ok" }], usage: { input: 10, output: 5, cacheRead: 1000 } }) }
      )
      const weather = { name: "weather", description: "Weather of a city", parameters: Schema.Struct({ city: Schema.String }) }
      const time = { name: "time", description: "Time in a city", parameters: Schema.Struct({ city: Schema.String }) }
      const request = { messages: [{ role: "system" as const, content: "You are a long, stable prompt." }, { role: "user" as const, content: "hi" }], tools: [weather, time] }
      const model = withModel(server, { model: "claude-sonnet-4-5", cache: { system: true, tools: true, ttl: "1h" } })
      yield* LanguageModel.generate(request).pipe(model)
      yield* LanguageModel.generate(request).pipe(model)
      const body = server.requests[0]!.body
      assert.deepStrictEqual(body.system, [{ type: "text", text: "You are a long, stable prompt.", cache_control: { type: "ephemeral", ttl: "1h" } }])
      assert.isUndefined(body.tools[0].cache_control)
      assert.deepStrictEqual(body.tools[1].cache_control, { type: "ephemeral", ttl: "1h" })
      const [write, read] = yield* CostLedger.entries
      assert.deepInclude(write!.usage, { inputTokens: 1010, cacheWriteTokens: 1000, cacheWrite1hTokens: 1000 })
      assert.closeTo(write!.costUsd!, (10 * 3 + 1000 * 6 + 5 * 15) / 1e6, 1e-15)
      assert.closeTo(read!.costUsd!, (10 * 3 + 1000 * 0.3 + 5 * 15) / 1e6, 1e-15)
      // Without the option, nothing is marked.
      server.reply({ json: FakeServer.anthropicMessage({ content: [{ type: "text", text: "ok" }] }) })
      yield* LanguageModel.generate(request).pipe(withModel(server))
      assert.strictEqual(server.requests[2]!.body.system, "You are a long, stable prompt.")
      assert.notProperty(server.requests[2]!.body.tools[1], "cache_control")
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("streams text deltas from SSE events, ending with the usage of message_start + message_delta", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ sse: [...streamEvents(["Hel", "lo"], { input: 20, cacheRead: 5 }), ...streamEnd(9)] })
      const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(modelFor(server).stream(user("hi"))))
      assert.deepStrictEqual(parts.slice(0, 2), [{ _tag: "TextDelta", text: "Hel" }, { _tag: "TextDelta", text: "lo" }])
      const finish = parts[2]
      assert(finish?._tag === "Finish")
      assert.strictEqual(finish.finishReason, "stop")
      assert.deepInclude(finish.usage, { inputTokens: 25, cachedInputTokens: 5, outputTokens: 9 })
      assert.isTrue(server.requests[0]!.body.stream)
      const [entry] = yield* CostLedger.entries
      assert.strictEqual(entry!.usage.outputTokens, 9)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("a stream cut mid-way fails with NetworkError; the input usage from message_start and the output that arrived are recorded", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      const arrived = "The quick brown fox jumps over the lazy dog, then keeps on running far beyond the hills"
      server.reply({ sse: streamEvents([arrived], { input: 42 }), cut: true })
      const error = yield* Effect.flip(Stream.runDrain(modelFor(server).stream(user("hi"))))
      assert.instanceOf(error, NetworkError)
      const [entry] = yield* CostLedger.entries
      assert.strictEqual(entry!.error, "NetworkError")
      assert.strictEqual(entry!.usage.inputTokens, 42)
      // Not message_start's placeholder of 1 output token.
      assert.strictEqual(entry!.usage.outputTokens, Tokenizer.countTokens(arrived))
      assert.isAbove(entry!.costUsd!, 0)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("error events inside a stream are typed like their HTTP twins: overloaded is ProviderUnavailable, rate limit is RateLimited", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      const errorEvent = (type: string, message: string) => ({ event: "error", data: { type: "error", error: { type, message } } })
      server.reply(
        { sse: [...streamEvents(["Hel"], { input: 10 }), errorEvent("overloaded_error", "Overloaded")] },
        { sse: [...streamEvents(["Hel"], { input: 10 }), errorEvent("rate_limit_error", "slow down")] }
      )
      const model = modelFor(server, { retry: { times: 0 } })
      const overloaded = yield* Effect.flip(Stream.runDrain(model.stream(user("hi"))))
      assert.instanceOf(overloaded, ProviderUnavailable)
      assert.include(overloaded.message, "Overloaded")
      const limited = yield* Effect.flip(Stream.runDrain(model.stream(user("hi"))))
      assert.instanceOf(limited, RateLimited)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("retry hints: retry-after on 503 and 529 is waited for; x-should-retry: false stops a retry, true asks for one", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }
      server.reply(
        { status: 529, json: overloaded, headers: { "retry-after": "7" } },
        { status: 503, json: overloaded, headers: { "retry-after-ms": "4000" } },
        { json: FakeServer.anthropicMessage({ content: [{ type: "text", text: "ok" }] }) },
        { status: 529, json: overloaded, headers: { "x-should-retry": "false" } },
        { status: 400, json: { type: "error", error: { type: "invalid_request_error", message: "try again" } }, headers: { "x-should-retry": "true" } },
        { json: FakeServer.anthropicMessage({ content: [{ type: "text", text: "again" }] }) }
      )
      const fiber = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server, { retry: { base: "10 millis" } })))
      yield* server.waitForRequests(1)
      const waited = yield* advanceUntil(() => server.requests.length >= 3)
      assert.isAtLeast(waited, 11_000, "7 s then 4 s, as the server asked")
      assert.strictEqual((yield* Fiber.join(fiber)).text, "ok")

      const refused = yield* Effect.flip(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      assert.instanceOf(refused, ProviderUnavailable)
      assert.strictEqual(refused.shouldRetry, false)
      assert.strictEqual(server.requests.length, 4, "not retried")

      const asked = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      yield* advanceUntil(() => server.requests.length >= 6)
      assert.strictEqual((yield* Fiber.join(asked)).text, "again", "a 400 retried because the server said so")
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("429 with retry-after (seconds) then success", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(
        { status: 429, json: { type: "error", error: { type: "rate_limit_error", message: "slow down" } }, headers: { "retry-after": "3" } },
        { json: FakeServer.anthropicMessage({ content: [{ type: "text", text: "ok" }] }) }
      )
      const fiber = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      yield* server.waitForRequests(1)
      const waited = yield* advanceUntil(() => server.requests.length >= 2)
      assert.isAtLeast(waited, 3000)
      assert.strictEqual((yield* Fiber.join(fiber)).text, "ok")
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("errors are typed: 401 not retried, prompt too long is ContextLengthExceeded, 429 carries retryAfterMs", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(
        { status: 401, json: { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } } },
        { status: 400, json: { type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" } } },
        { status: 429, json: { type: "error", error: { type: "rate_limit_error", message: "slow down" } }, headers: { "retry-after": "2" } }
      )
      const auth = yield* Effect.flip(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      assert.instanceOf(auth, AuthenticationFailed)
      assert.strictEqual(server.requests.length, 1)
      const long = yield* Effect.flip(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      assert.instanceOf(long, ContextLengthExceeded)
      assert.strictEqual(long.status, 400)
      const limited = yield* Effect.flip(LanguageModel.generate(user("hi")).pipe(withModel(server, { retry: { times: 0 } })))
      assert.instanceOf(limited, RateLimited)
      assert.strictEqual(limited.retryAfterMs, 2000)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("529 overloaded then success: retried; a silent server times out (TestClock) and is hung up on", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply(
        { status: 529, json: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } },
        { json: FakeServer.anthropicMessage({ content: [{ type: "text", text: "ok" }] }) },
        { hang: true }
      )
      const retried = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      yield* advanceUntil(() => server.requests.length >= 2)
      assert.strictEqual((yield* Fiber.join(retried)).text, "ok")

      const silent = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server, { timeout: "10 seconds", retry: { times: 0 } })))
      yield* server.waitForRequests(3)
      yield* TestClock.adjust("10 seconds")
      const error = yield* Effect.flip(Fiber.join(silent))
      assert.instanceOf(error, LlmTimeout)
      assert.include(error.message, "Anthropic claude-haiku-4-5: no response within 10s")
      yield* server.waitForAborted(1)
    }).pipe(Effect.provide(ledgerAndPricing)))

  it.scoped("interrupting the fiber aborts the HTTP request", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer.make
      server.reply({ hang: true })
      const fiber = yield* Effect.fork(LanguageModel.generate(user("hi")).pipe(withModel(server)))
      yield* server.waitForRequests(1)
      assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(fiber)))
      yield* server.waitForAborted(1)
    }).pipe(Effect.provide(ledgerAndPricing)))
})
