/**
 * Token counting with a real BPE tokenizer (o200k_base, the GPT-4o family's). Other providers'
 * tokenizers differ by a few percent; this is what budgets and the offline model count with.
 */
import { countTokens as countO200k } from "gpt-tokenizer"

export const countTokens = (text: string): number => (text.length === 0 ? 0 : countO200k(text))

/** Tokens of a chat transcript, with the per-message framing the chat formats add (~4 each). */
export const countMessageTokens = (messages: ReadonlyArray<{ readonly content: string }>): number =>
  messages.reduce((sum, m) => sum + countTokens(m.content) + 4, 2)
