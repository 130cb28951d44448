/**
 * Token counting with a real BPE tokenizer (o200k_base, the GPT-4o family's). Other providers'
 * tokenizers differ by a few percent; this is what budgets and the offline model count with.
 */
import { createRequire } from "node:module"

// Loaded at the first count, not at import: reading its ranks and building the encoder took about
// 0.4 s, which every program importing core paid, counting tokens or not.
const require = createRequire(import.meta.url)
let countO200k: ((text: string) => number) | undefined

/** Loads the tokenizer now, not at the first count (a model's layer does, so no call pays for it). */
export const preload = (): ((text: string) => number) =>
  (countO200k ??= (require("gpt-tokenizer") as typeof import("gpt-tokenizer")).countTokens)

export const countTokens = (text: string): number => (text.length === 0 ? 0 : preload()(text))

/** Tokens of a chat transcript, with the per-message framing the chat formats add (~4 each). */
export const countMessageTokens = (messages: ReadonlyArray<{ readonly content: string }>): number =>
  messages.reduce((sum, m) => sum + countTokens(m.content) + 4, 2)
