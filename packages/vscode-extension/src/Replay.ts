/**
 * Replaying a model call from its `chat` span: the captured prompt (as a chat) is sent again, maybe
 * edited, through the same provider layer the run used (`@aixfx/providers` Models: `provider:model`,
 * keys from the environment; `local:` is the offline model). The extension never loads aixfx
 * itself: it writes a small runner script next to the workspace's own aixfx install
 * (`node_modules/.cache/aixfx/`) and runs it with the workspace's tsx, over the process boundary.
 */
import { findInstall } from "./Install.js"
import { type ChatMessage, parseChat } from "./Chat.js"
import { type SpanRecord, stringAttribute } from "./Span.js"

export interface ReplayRequest {
  /** `provider:model`, as `Models.layer` takes it. */
  readonly model: string
  readonly messages: ReadonlyArray<ChatMessage>
}

export interface ReplayResult {
  readonly text: string
  readonly provider: string
  readonly model: string
  readonly inputTokens: number
  readonly outputTokens: number
  /** USD from the runtime's price table; null when the model's price is unknown. */
  readonly costUsd: number | null
}

export class ReplayError extends Error {
  override readonly name = "ReplayError"
}

/** What to send again: the span's model and captured prompt; undefined when it has no captured prompt. */
export const replayRequest = (span: SpanRecord): ReplayRequest | undefined => {
  const prompt = stringAttribute(span.attributes, "gen_ai.input.messages")
  const messages = prompt === undefined ? undefined : parseChat(prompt)
  const model = stringAttribute(span.attributes, "gen_ai.request.model") ?? stringAttribute(span.attributes, "gen_ai.response.model")
  const provider = stringAttribute(span.attributes, "gen_ai.provider.name") ?? stringAttribute(span.attributes, "gen_ai.system")
  if (messages === undefined || model === undefined) return undefined
  return { model: provider === undefined ? model : `${provider}:${model}`, messages }
}

/** The folder whose node_modules holds `@aixfx/providers` (from `start` up to `root`), and the tsx to run with. */
export const findAixfxInstall = (start: string, root: string, exists: (path: string) => boolean): { readonly dir: string; readonly tsx: string } | undefined => {
  const found = findInstall("@aixfx/providers", start, root, exists)
  return found?.tsx === undefined ? undefined : { dir: found.dir, tsx: found.tsx }
}

/** The runner: reads the request from AIXFX_REPLAY_REQUEST, prints one JSON line with the result (or the error). */
export const RUNNER_SCRIPT = `// Written by the aixfx VS Code extension: replays one model call through @aixfx/providers.
import { LanguageModel } from "@aixfx/core"
import { Models, PricingTable } from "@aixfx/providers"
import { Effect } from "effect"

const request = JSON.parse(process.env.AIXFX_REPLAY_REQUEST ?? "{}")
const roles = new Set(["system", "user", "assistant"])
const messages = request.messages.map((m) => ({ role: roles.has(m.role) ? m.role : "user", content: m.text }))
const program = Effect.gen(function* () {
  const model = yield* LanguageModel.LanguageModel
  const reply = yield* model.generate({ messages })
  const costUsd = PricingTable.make().price(reply.provider, reply.model, reply.usage)
  return { text: reply.text, provider: reply.provider, model: reply.model, inputTokens: reply.usage.inputTokens, outputTokens: reply.usage.outputTokens, costUsd }
})
Effect.runPromise(program.pipe(Effect.provide(Models.layer(request.model)))).then(
  (result) => console.log(JSON.stringify({ ok: result })),
  (error) => {
    console.log(JSON.stringify({ error: String(error?.message ?? error) }))
    process.exitCode = 1
  }
)
`

/** The result from the runner's output (its last JSON line). */
export const parseReplayOutput = (stdout: string): ReplayResult => {
  const line = stdout
    .trim()
    .split("\n")
    .reverse()
    .find((candidate) => candidate.startsWith("{"))
  if (line === undefined) throw new ReplayError(`the replay printed no result: ${stdout.slice(-500)}`)
  const parsed = JSON.parse(line) as { ok?: ReplayResult; error?: string }
  if (parsed.ok !== undefined) return parsed.ok
  throw new ReplayError(parsed.error ?? "the replay failed")
}
