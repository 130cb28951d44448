import { CostLedger, InvalidRequest, LanguageModel, RateLimited } from "@aixfx/core"
import { OpenAi, ReplayModel, withRecording } from "@aixfx/providers"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Schema, Stream } from "effect"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as FakeServer from "./fakeServer.js"
import { SECRET } from "./support.js"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "aixfx-cassette-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

const lookup = { name: "lookup", description: "Look a word up", parameters: Schema.Struct({ word: Schema.String }) }

/** A small run: a tool call, its answer, a streamed summary, and a failed call. */
const run = Effect.gen(function* () {
  const first = yield* LanguageModel.generate({ messages: [{ role: "user", content: "define cassette" }], tools: [lookup] })
  const second = yield* LanguageModel.generate({
    messages: [
      { role: "user", content: "define cassette" },
      { role: "assistant", content: "", toolCalls: first.toolCalls },
      { role: "tool", toolCallId: first.toolCalls[0]!.id, name: "lookup", content: "a case for tape" }
    ],
    tools: [lookup]
  })
  const streamed = yield* Stream.runCollect(LanguageModel.stream({ messages: [{ role: "user", content: "summarise" }] }))
  const failed = yield* Effect.flip(LanguageModel.generate({ messages: [{ role: "user", content: "too fast" }] }))
  return { first, second, streamed: Chunk.toReadonlyArray(streamed), failed }
})

describe("RecordingModel + ReplayModel", () => {
  // live clock: the recorded 429s are retried after 1 ms
  it.scopedLive("a recorded run replays identically offline, and an unseen request names the nearest one", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const path = join(dir, "run.cassette.json")
      const server = yield* FakeServer.make
      server.reply(
        { json: FakeServer.openAiCompletion({ toolCalls: [{ id: "call_1", name: "lookup", arguments: '{"word":"cassette"}' }] }) },
        { json: FakeServer.openAiCompletion({ text: "A cassette is a case for tape." }) },
        { sse: [FakeServer.openAiChunk({ content: "Tapes " }), FakeServer.openAiChunk({ content: "in cases." }, "stop"), { data: "[DONE]" }] },
        { status: 429, json: { error: { message: "slow down" } }, headers: { "retry-after-ms": "1" } },
        { status: 429, json: { error: { message: "slow down" } }, headers: { "retry-after-ms": "1" } }
      )
      const provider = OpenAi.layer({ apiKey: Redacted.make(SECRET), baseURL: `${server.url}/v1`, retry: { times: 1, base: "1 millis" } })
      const recorded = yield* run.pipe(Effect.provide(withRecording({ path }).pipe(Layer.provide(provider))))
      const text = yield* Effect.promise(() => readFile(path, "utf8"))
      assert.notInclude(text, SECRET, "the cassette holds no key")
      assert.strictEqual(JSON.parse(text).interactions.length, 4)

      const requestsBefore = server.requests.length
      const replayed = yield* run.pipe(Effect.provide(Layer.merge(ReplayModel.layer({ path }), CostLedger.layer)))
      assert.strictEqual(server.requests.length, requestsBefore, "replay is offline")
      assert.deepStrictEqual(replayed.first.toolCalls, recorded.first.toolCalls)
      assert.strictEqual(replayed.second.text, "A cassette is a case for tape.")
      assert.deepStrictEqual(
        replayed.streamed.map((p) => (p._tag === "TextDelta" ? p.text : p._tag)),
        ["Tapes ", "in cases.", "Finish"]
      )
      assert.deepStrictEqual(replayed.second.usage, recorded.second.usage)
      assert.instanceOf(replayed.failed, RateLimited)
      assert.strictEqual(replayed.failed.status, 429)

      const miss = yield* Effect.flip(
        LanguageModel.generate({ messages: [{ role: "user", content: "define casette" }], tools: [lookup] }).pipe(Effect.provide(ReplayModel.layer({ path })))
      )
      assert.instanceOf(miss, InvalidRequest)
      assert.include(miss.message, "has no recorded call for this request")
      assert.include(miss.message, "nearest recorded request is #1")
      assert.include(miss.message, 'request.messages.0.content: recorded "define cassette", asked "define casette"')
    }))

  it.effect("an unreadable cassette is a typed error naming the file", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ReplayModel.make({ path: "/nonexistent/run.cassette.json" }))
      assert.strictEqual(error._tag, "CassetteUnreadable")
      assert.include(error.message, "/nonexistent/run.cassette.json")
    }))
})
