/** Loader hooks for record-imports.mjs. */
import { appendFileSync } from "node:fs"

let log

export const initialize = (data) => {
  log = data.log
}

export const resolve = async (specifier, context, nextResolve) => {
  const resolved = await nextResolve(specifier, context)
  appendFileSync(log, `${resolved.url}\n`)
  return resolved
}
