import { Agent, AgentRuntime, Json, Message, ProviderUnavailable, RetrievalFailed, Telemetry, Tokenizer } from "@aixfx/core"
import { Rag } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref, Schedule, TestClock } from "effect"
import { assertInterruptsSteps, hangingProbe, recording, spanNamed } from "./probes.js"
import { withRuntime } from "./runtime.js"

const docs: ReadonlyArray<Rag.RetrievedDocument> = [
  { id: "d1", text: "Retries repeat a failed call.", score: 0.9, metadata: {} },
  { id: "d2", text: "Backoff spaces the retries out.", score: 0.7, metadata: { lang: "en" } },
  { id: "d3", text: "Timeouts bound each attempt.", score: 0.5, metadata: {} }
]

/** A retriever that answers with `documents` whatever it is asked, recording the requests. */
const scriptedRetriever = (name: string, documents: ReadonlyArray<Rag.RetrievedDocument>) =>
  recording(name, (input) => Rag.retrievalReply(input, documents))

/** A generator that echoes the prompt it was given, so tests can read what the pattern sent. */
const echoGenerator = recording("generator", (input) => `answer to: ${input.payload}`)


describe("Rag", () => {
  it.effect("passes topK and the filter to the retriever and cites the documents used", () =>
    withRuntime(
      Effect.gen(function* () {
        const retriever = yield* scriptedRetriever("retriever", docs)
        const generator = yield* echoGenerator
        const metadata = { filter: { lang: "en" }, user: "ana", trace: { kind: "router" }, inReplyTo: "earlier" }
        const input = Message.make({ payload: "How do retries work?", metadata })
        const out = yield* Rag.make({ name: "rag", retriever: "retriever", generator: "generator", topK: 2, filter: { lang: "fr" } }).execute(input)

        const [request] = yield* retriever.received
        assert.strictEqual(request!.payload, "How do retries work?")
        assert.deepStrictEqual(request!.metadata, { topK: 2, filter: { lang: "en" }, user: "ana" }, "the input's filter overrides the option")
        // topK also bounds what the retriever returned: the best two by score.
        assert.deepStrictEqual(out.metadata["sources"], ["d1", "d2"])
        const [prompt] = yield* generator.received
        assert.isTrue(prompt!.payload.startsWith("How do retries work?\n"))
        // Steps carry the input's metadata, but not what described the input itself (trace, inReplyTo).
        assert.deepStrictEqual(prompt!.metadata, { filter: { lang: "en" }, user: "ana", sources: ["d1", "d2"] })
        assert.include(prompt!.payload, "[d1] Retries repeat a failed call.\n[d2] Backoff spaces the retries out.")
        assert.notInclude(prompt!.payload, "d3")
        assert.strictEqual(out.payload, `answer to: ${prompt!.payload}`)
        assert.notStrictEqual(out.id, input.id)
        assert.strictEqual(out.metadata["inReplyTo"], input.id)
        assert.deepStrictEqual(input.metadata, metadata, "the input is not mutated")
        assert.deepInclude(yield* Rag.outcome(out), { kind: "rag", name: "rag", topK: 2, reranked: false })
      })
    ))

  it.effect("topK defaults to 5 and the option filter is sent when the input has none", () =>
    withRuntime(
      Effect.gen(function* () {
        const retriever = yield* scriptedRetriever("retriever", docs)
        yield* echoGenerator
        yield* Rag.make({ name: "rag", retriever: "retriever", generator: "generator", filter: { lang: "fr" } }).execute(Message.make("q"))
        const [request] = yield* retriever.received
        assert.deepStrictEqual(request!.metadata, { topK: 5, filter: { lang: "fr" } })
      })
    ))

  it.effect("cuts the context to maxContextTokens: whole documents, then one cut short, then none", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* scriptedRetriever("retriever", docs)
        const generator = yield* echoGenerator
        const first = Tokenizer.countTokens("[d1] Retries repeat a failed call.") + 1
        const out = yield* Rag.make({ name: "rag", retriever: "retriever", generator: "generator", maxContextTokens: first + 7 }).execute(
          Message.make("How do retries work?")
        )
        const [prompt] = yield* generator.received
        assert.include(prompt!.payload, "[d1] Retries repeat a failed call.\n[d2] Backoff …")
        assert.notInclude(prompt!.payload, "[d3]")
        assert.deepStrictEqual(out.metadata["sources"], ["d1", "d2"])
        const trace = yield* Rag.outcome(out)
        assert.deepStrictEqual(trace.context.map((d) => [d.id, d.truncated]), [["d1", false], ["d2", true]])
        assert.isAtMost(trace.contextTokens, first + 7)
      })
    ))

  it("fitContext keeps every document without a bound and none when even a word does not fit", () => {
    assert.deepStrictEqual(Rag.fitContext(docs, undefined).map((d) => d.id), ["d1", "d2", "d3"])
    assert.deepStrictEqual(Rag.fitContext(docs, 2), [])
  })

  it.effect("tells the generator explicitly that there is no context when nothing is retrieved", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* scriptedRetriever("retriever", [])
        const reranker = yield* scriptedRetriever("reranker", docs)
        const generator = yield* echoGenerator
        const out = yield* Rag.make({ name: "rag", retriever: "retriever", generator: "generator", reranker: "reranker" }).execute(
          Message.make("What is the capital of Mars?")
        )
        const [prompt] = yield* generator.received
        assert.strictEqual(prompt!.payload, `What is the capital of Mars?\n\n${Rag.NO_CONTEXT}`)
        assert.deepStrictEqual(out.metadata["sources"], [])
        assert.lengthOf(yield* reranker.received, 0, "nothing to rerank")
      })
    ))

  it.effect("a reranker receives the retrieved documents and its order (not the scores) is the context's order", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* scriptedRetriever("retriever", docs)
        const reranker = yield* recording("reranker", (input) =>
          Rag.retrievalReply(input, [docs[2]!, docs[0]!])
        )
        const generator = yield* echoGenerator
        const out = yield* Rag.make({ name: "rag", retriever: "retriever", generator: "generator", reranker: "reranker", topK: 3 }).execute(
          Message.make("q")
        )
        const [request] = yield* reranker.received
        assert.strictEqual(request!.payload, "q")
        assert.deepStrictEqual((request!.metadata["documents"] as ReadonlyArray<{ id: string }>).map((d) => d.id), ["d1", "d2", "d3"])
        assert.strictEqual(request!.metadata["topK"], 3)
        assert.deepStrictEqual(out.metadata["sources"], ["d3", "d1"])
        assert.include((yield* generator.received)[0]!.payload, "[d3] Timeouts bound each attempt.\n[d1]")
      })
    ))

  it.effect("an unreadable retriever reply fails with RetrievalFailed naming the retriever and the field", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("retriever", (input) => Message.reply(input, { type: "json", payload: JSON.stringify({ documents: [{ id: "x" }] }) }))
        yield* echoGenerator
        const error = yield* Effect.flip(Rag.make({ name: "rag", retriever: "retriever", generator: "generator" }).execute(Message.make("q")))
        assert.instanceOf(error, RetrievalFailed)
        assert.strictEqual(error.retriever, "retriever")
        assert.include(error.message, `"retriever"`)
        assert.include(error.message, "documents")
      })
    ))

  it.effect("a retriever's own failure reaches the caller unchanged", () =>
    withRuntime(
      Effect.gen(function* () {
        const failure = new RetrievalFailed({ retriever: "store", reason: "table missing", message: "Retriever \"store\" failed: table missing" })
        yield* AgentRuntime.register(Agent.make({ name: "store", execute: () => Effect.fail(failure) }))
        yield* echoGenerator
        const error = yield* Effect.flip(Rag.make({ name: "rag", retriever: "store", generator: "generator" }).execute(Message.make("q")))
        assert.strictEqual(error._tag, "RetrievalFailed")
        assert.strictEqual(error.message, failure.message)
      })
    ))

  it.effect("stepTimeout bounds each step, timeout the whole run", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* AgentRuntime.register(Agent.make({ name: "slow", execute: (m) => Effect.as(Effect.sleep("10 seconds"), Rag.retrievalReply(m, docs)) }))
        yield* echoGenerator
        const stepped = yield* Effect.fork(Rag.make({ name: "rag", retriever: "slow", generator: "generator", stepTimeout: "1 second" }).execute(Message.make("q")))
        const whole = yield* Effect.fork(Rag.make({ name: "rag2", retriever: "slow", generator: "generator", timeout: "3 seconds" }).execute(Message.make("q")))
        yield* TestClock.adjust("3 seconds")
        const stepError = yield* Effect.flip(Fiber.join(stepped))
        assert.strictEqual(stepError._tag, "CallTimeout")
        const wholeError = yield* Effect.flip(Fiber.join(whole))
        assert.strictEqual(wholeError._tag, "PatternTimeout")
        assert.include(wholeError.message, `"rag2"`)
      })
    ))

  it.effect("stepRetry retries a transiently failing step; retry retries the whole run", () =>
    withRuntime(
      Effect.gen(function* () {
        const calls = yield* Ref.make(0)
        yield* AgentRuntime.register(
          Agent.make({
            name: "flaky",
            execute: (m) =>
              Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (n) =>
                n % 2 === 0 ? Effect.fail(new ProviderUnavailable({ provider: "store", message: "down" })) : Effect.succeed(Rag.retrievalReply(m, docs))
              )
          })
        )
        yield* echoGenerator
        const stepped = yield* Rag.make({ name: "rag", retriever: "flaky", generator: "generator", stepRetry: Schedule.recurs(1) }).execute(Message.make("q"))
        assert.deepStrictEqual(stepped.metadata["sources"], ["d1", "d2", "d3"])
        const whole = yield* Rag.make({ name: "rag2", retriever: "flaky", generator: "generator", retry: Schedule.recurs(1) }).execute(Message.make("q"))
        assert.deepStrictEqual(whole.metadata["sources"], ["d1", "d2", "d3"])
        assert.strictEqual(yield* Ref.get(calls), 4)
      })
    ))

  it.effect("interrupting the caller interrupts the step in flight", () =>
    withRuntime(
      Effect.gen(function* () {
        const probe = yield* hangingProbe("retriever")
        yield* echoGenerator
        yield* assertInterruptsSteps(Rag.make({ name: "rag", retriever: "retriever", generator: "generator" }).execute(Message.make("q")), [probe])
      })
    ))

  it.effect("puts its decisions on the pattern span", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return withRuntime(
      Effect.gen(function* () {
        yield* scriptedRetriever("retriever", docs)
        yield* echoGenerator
        yield* Rag.make({ name: "rag", retriever: "retriever", generator: "generator", topK: 2 }).execute(Message.make("q"))
        const span = spanNamed(exporter, "pattern.rag rag")
        assert.strictEqual(span.attributes["aixfx.rag.documents"], JSON.stringify(["d1", "d2"]))
        assert.strictEqual(span.attributes["aixfx.rag.top_k"], 2)
        assert.strictEqual(span.attributes["aixfx.rag.retrieved"], 2)
        assert.includeMembers(exporter.getFinishedSpans().map((s) => s.name), ["step rag.retrieve", "step rag.generate"])
      })
    ).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })
})

describe("Rag.inMemoryRetriever", () => {
  const corpus: ReadonlyArray<Rag.InMemoryDocument> = [
    { id: "router", text: "The router classifies a request and routes it to an agent.", metadata: { section: "patterns" } },
    { id: "retry", text: "Retries repeat failed calls with backoff.", metadata: { section: "runtime" } },
    { id: "routes", text: "Routes map labels to agents; the router falls back to a default route.", metadata: { section: "patterns" } },
    { id: "ledger", text: "The cost ledger records tokens and price.", metadata: { section: "runtime" } }
  ]

  it.effect("ranks by BM25, honours topK and the filter, and skips documents with no matching term", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* AgentRuntime.register(Rag.inMemoryRetriever({ name: "docs", documents: corpus }))
        const ask = (payload: string, metadata: Json.JsonObject) =>
          Effect.flatMap(AgentRuntime.call("docs", Message.make({ payload, metadata })), Message.decodePayload(Rag.RetrievalResult))
        const all = yield* ask("how does the router fall back to a default route?", { topK: 5 })
        assert.deepStrictEqual(all.documents.map((d) => d.id), ["routes", "router"])
        assert.isAbove(all.documents[0]!.score, all.documents[1]!.score)
        assert.deepStrictEqual((yield* ask("router classifies", { topK: 1 })).documents.map((d) => d.id), ["router"])
        assert.deepStrictEqual((yield* ask("router retries ledger", { topK: 5, filter: { section: "runtime" } })).documents.map((d) => d.id).sort(), ["ledger", "retry"])
        assert.lengthOf((yield* ask("quantum entanglement", { topK: 5 })).documents, 0)
      })
    ))

  it.effect("rejects an invalid topK with RetrievalFailed; a missing one means DEFAULT_TOP_K", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* AgentRuntime.register(Rag.inMemoryRetriever({ name: "docs", documents: corpus }))
        const error = yield* Effect.flip(AgentRuntime.call("docs", Message.make({ payload: "router", metadata: { topK: -1 } })))
        assert.strictEqual(error._tag, "RetrievalFailed")
        assert.include(error.message, "topK")
        const request = yield* Rag.decodeRequest("docs")(Message.make("router"))
        assert.strictEqual(request.topK, Rag.DEFAULT_TOP_K)
      })
    ))
})
