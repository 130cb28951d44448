/** Finding the JSON object in a model's answer, which may wrap it in prose or a code fence. */

const tryParse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** The JSON object in `text`: the whole text, a fenced block, or the outermost `{…}`; else undefined. */
export const findJsonObject = (text: string): Record<string, unknown> | undefined => {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1]
  const start = text.indexOf("{")
  const end = text.lastIndexOf("}")
  const candidates = [text.trim(), fenced, start >= 0 && end > start ? text.slice(start, end + 1) : undefined]
  for (const candidate of candidates) {
    if (candidate === undefined) continue
    const value = tryParse(candidate)
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  }
  return undefined
}
