/**
 * Serves a cassette recorded by `RecordingModel`, deterministically and offline: a request gets
 * the answer recorded for the same request (repeats in recorded order). A request the cassette
 * has not seen fails with `InvalidRequest` naming the nearest recorded request and where they
 * differ. The provider is "replay", priced at $0.
 */
import * as LanguageModel from "@aixfx/core/LanguageModel"
import { InvalidRequest, type LlmError } from "@aixfx/core/AgentError"
import { Data, Effect, Layer, Schema, Stream } from "effect"
import { readFile } from "node:fs/promises"
import * as Cassette from "./Cassette.js"

export const PROVIDER = "replay"

export class CassetteUnreadable extends Data.TaggedError("CassetteUnreadable")<{ readonly path: string; readonly message: string }> {}

export interface Options {
  readonly path: string
}

const CassetteFile = Schema.Struct({
  version: Schema.Literal(1),
  interactions: Schema.Array(
    Schema.Struct({ request: Schema.Unknown, response: Schema.optional(Schema.Unknown), stream: Schema.optional(Schema.Array(Schema.Unknown)), error: Schema.optional(Schema.Unknown) })
  )
})

/** The first place two JSON values differ, as a path and both values (shortened). */
const firstDifference = (a: unknown, b: unknown, path = "request"): string | undefined => {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    for (const key of keys) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`)
      if (d !== undefined) return d
    }
  }
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v).slice(0, 120))
  return `${path}: recorded ${show(b)}, asked ${show(a)}`
}

/** Shared words of the two JSON texts over all words: enough to point at the closest request. */
const similarity = (a: string, b: string) => {
  const words = (s: string) => new Set(s.toLowerCase().match(/[a-z0-9]+/g) ?? [])
  const wa = words(a)
  const wb = words(b)
  const shared = [...wa].filter((w) => wb.has(w)).length
  return shared / Math.max(1, new Set([...wa, ...wb]).size)
}

export const make = (options: Options): Effect.Effect<LanguageModel.Service, CassetteUnreadable> =>
  Effect.gen(function* () {
    const cassette = yield* Effect.tryPromise(() => readFile(options.path, "utf8")).pipe(
      Effect.flatMap((text) => Effect.try(() => JSON.parse(text) as unknown)),
      Effect.flatMap(Schema.decodeUnknown(CassetteFile)),
      Effect.mapError((cause) => new CassetteUnreadable({ path: options.path, message: `Cannot read cassette ${options.path}: ${String(cause)}` }))
    )
    const recorded = cassette.interactions.map((i) => ({ ...i, key: JSON.stringify(i.request) }))
    const served = new Map<string, number>()
    const defaultModel = recorded.map((i) => (i.request as { model?: string }).model).find((m) => m !== undefined) ?? "replay"

    const lookup = (request: LanguageModel.GenerateRequest & { readonly model: string }, kind: "response" | "stream") =>
      Effect.suspend(() => {
        const normalized = Cassette.normalize(request)
        const key = JSON.stringify(normalized)
        const matches = recorded.filter((i) => i.key === key && (kind === "stream" ? i.stream !== undefined : i.stream === undefined))
        if (matches.length > 0) {
          const n = served.get(key) ?? 0
          served.set(key, n + 1)
          return Effect.succeed(matches[Math.min(n, matches.length - 1)]!)
        }
        const nearest = recorded
          .map((i, index) => ({ i, index, score: similarity(key, i.key) }))
          .sort((a, b) => b.score - a.score)[0]
        const hint =
          nearest === undefined
            ? "the cassette is empty"
            : `the nearest recorded request is #${nearest.index + 1} (${kind === "stream" && nearest.i.stream === undefined ? "a generate call; " : ""}${
              firstDifference(normalized, nearest.i.request) ?? "same request, recorded as the other call kind"
            })`
        return Effect.fail(
          new InvalidRequest({
            provider: PROVIDER,
            model: request.model,
            message: `ReplayModel: cassette ${options.path} has no recorded ${kind === "stream" ? "stream" : "call"} for this request; ${hint}`
          })
        )
      })

    const generate = (request: LanguageModel.GenerateRequest & { readonly model: string }) =>
      Effect.flatMap(lookup(request, "response"), (i): Effect.Effect<LanguageModel.GenerateResponse, LlmError> =>
        i.error !== undefined
          ? Effect.fail(Cassette.decodeError(i.error))
          : Effect.succeed(Cassette.reviveUsage(i.response as NonNullable<Cassette.Interaction["response"]>))
      )

    const stream = (request: LanguageModel.GenerateRequest & { readonly model: string }) =>
      Stream.unwrap(
        Effect.map(lookup(request, "stream"), (i) => {
          const parts = Stream.fromIterable(Cassette.reviveParts(i.stream ?? []))
          return i.error === undefined ? parts : Stream.concat(parts, Stream.fail(Cassette.decodeError(i.error)))
        })
      )

    return LanguageModel.make({ provider: PROVIDER, defaultModel, generate, stream })
  })

export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, CassetteUnreadable> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))
