/**
 * Wraps the `LanguageModel` below it and writes every call — request and response, streamed parts,
 * or the typed error — to a cassette JSON file that `ReplayModel` serves back. The file is
 * rewritten after each call, so a run that stops half-way keeps what it recorded.
 */
import * as LanguageModel from "@aixfx/core/LanguageModel"
import { type LlmError } from "@aixfx/core/AgentError"
import { Data, Effect, Layer, Stream } from "effect"
import { mkdir, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import * as Cassette from "./Cassette.js"

export class CassetteWriteFailed extends Data.TaggedError("CassetteWriteFailed")<{ readonly path: string; readonly message: string }> {}

export interface Options {
  /** The cassette file; created (with its folder) or replaced. */
  readonly path: string
}

export const withRecording = (
  options: Options
): Layer.Layer<LanguageModel.LanguageModel, never, LanguageModel.LanguageModel> =>
  Layer.effect(
    LanguageModel.LanguageModel,
    Effect.gen(function* () {
      const inner = yield* LanguageModel.LanguageModel
      const interactions: Array<Cassette.Interaction> = []
      const lock = yield* Effect.makeSemaphore(1)
      const save = (interaction: Cassette.Interaction) =>
        lock.withPermits(1)(
          Effect.tryPromise({
            try: async () => {
              interactions.push(interaction)
              await mkdir(dirname(options.path), { recursive: true })
              const cassette: Cassette.Cassette = { version: 1, interactions }
              await writeFile(options.path, `${JSON.stringify(cassette, null, 2)}\n`)
            },
            catch: (cause) => new CassetteWriteFailed({ path: options.path, message: `Cannot write cassette ${options.path}: ${String(cause)}` })
          })
        ).pipe(
          // A recording failure must not change the call's outcome; it is reported, not raised.
          Effect.catchAll((error) => Effect.logError(error.message))
        )

      const resolve = (request: LanguageModel.GenerateRequest) => ({ ...request, model: request.model ?? inner.defaultModel })

      return {
        ...inner,
        generate: (request) => {
          const normalized = Cassette.normalize(resolve(request))
          return inner.generate(request).pipe(
            Effect.tap((response) => save({ request: normalized, response })),
            Effect.tapError((error) => save({ request: normalized, error: Cassette.encodeError(error) }))
          )
        },
        stream: (request) => {
          const normalized = Cassette.normalize(resolve(request))
          const parts: Array<LanguageModel.StreamPart> = []
          return inner.stream(request).pipe(
            Stream.tap((part) => Effect.sync(() => parts.push(part))),
            Stream.tapError((error: LlmError) => save({ request: normalized, stream: parts, error: Cassette.encodeError(error) })),
            Stream.onEnd(Effect.suspend(() => save({ request: normalized, stream: parts })))
          )
        }
      }
    })
  )
