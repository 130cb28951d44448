import { assert, describe, it } from "@effect/vitest"
import { LanguageModel, LocalHeuristicModel, Tokenizer } from "@aixfx/core"
import { Effect } from "effect"

const ask = (system: string, user: string, extra: Partial<LanguageModel.GenerateRequest> = {}) =>
  LanguageModel.generate({ messages: [{ role: "system", content: system }, { role: "user", content: user }], ...extra }).pipe(
    Effect.provide(LocalHeuristicModel.layer())
  )

describe("LocalHeuristicModel", () => {
  it.effect("classifies by keyword overlap with the labels in the prompt, as JSON", () =>
    Effect.gen(function* () {
      const system = "Classify the request.\n- billing: invoices, refunds, payment, charge\n- technical: error, crash, bug, install"
      const r = yield* ask(system, "I was charged twice, please refund the payment")
      assert.deepStrictEqual(JSON.parse(r.text).category, "billing")
      const t = yield* ask(system, "The app crashes with an error on install")
      assert.strictEqual(JSON.parse(t.text).category, "technical")
    }))

  it.effect("decides simple vs complex by the request's structure", () =>
    Effect.gen(function* () {
      const system = "Classify the query's complexity. categories: simple, complex"
      assert.strictEqual(JSON.parse((yield* ask(system, "What is 2+2?")).text).category, "simple")
      const hard = yield* ask(system, "Compare the trade-offs of three database architectures for a multi-region design and explain why one wins?")
      assert.strictEqual(JSON.parse(hard.text).category, "complex")
    }))

  it.effect("critiques a draft with a score and names what is missing", () =>
    Effect.gen(function* () {
      const r = yield* ask("You are a critic. Score the draft.", "Task: explain retries, timeouts and backoff\nDraft: Retries repeat a call.")
      const c = JSON.parse(r.text) as { score: number; feedback: string }
      assert.isBelow(c.score, 0.9)
      assert.include(c.feedback, "timeout")
      const full = yield* ask(
        "You are a critic. Score the draft.",
        "Task: explain retries, timeouts and backoff\nDraft: Retries repeat a failed call. Timeouts bound each attempt. Backoff spaces the retries out so a struggling service can recover. Explain to users that each retry waits longer than the last."
      )
      assert.isAbove(JSON.parse(full.text).score, c.score)
    }))

  it.effect("answers extractively with the sentences most relevant to the question", () =>
    Effect.gen(function* () {
      const r = yield* ask(
        "Answer the question from the context.",
        "What does the router do?\nThe parallel pattern fans out. The router classifies a request and dispatches it. Swarm hands off."
      )
      assert.include(r.text, "router classifies a request")
      assert.notInclude(r.text, "Swarm")
    }))

  it.effect("calls a transfer tool when the input is about that agent's topic", () =>
    Effect.gen(function* () {
      const { Schema } = yield* Effect.promise(() => import("effect"))
      const r = yield* ask("You are the front desk.", "I need help with billing", {
        tools: [{ name: "transfer_to_billing", description: "", parameters: Schema.Struct({}) }]
      })
      assert.strictEqual(r.toolCalls[0]?.name, "transfer_to_billing")
      assert.strictEqual(r.finishReason, "tool_calls")
    }))

  it.effect("is deterministic and counts tokens with the real tokenizer", () =>
    Effect.gen(function* () {
      const a = yield* ask("Answer.", "Why? Because the sky is blue.")
      const b = yield* ask("Answer.", "Why? Because the sky is blue.")
      assert.strictEqual(a.text, b.text)
      assert.strictEqual(a.usage.outputTokens, Tokenizer.countTokens(a.text))
      assert.strictEqual(a.usage.inputTokens, Tokenizer.countMessageTokens([{ content: "Answer." }, { content: "Why? Because the sky is blue." }]))
      assert.strictEqual(a.provider, "local")
    }))
})

describe("LocalHeuristicModel sources", () => {
  it.effect("quotes a Source: section of the instructions", () =>
    Effect.gen(function* () {
      const r = yield* ask("Answer from your source only.\nSource:\nDeadlines bound gRPC calls. Bananas are yellow.", "What bounds gRPC calls?")
      assert.include(r.text, "Deadlines bound gRPC calls")
      assert.notInclude(r.text, "Bananas")
    }))
})
