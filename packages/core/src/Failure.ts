/**
 * A failure as a person reads it: one line naming what failed (the tagged error's `_tag` and
 * message, or the defect), then its cause when it has one — not a fiber dump. For the end of a
 * program:
 *
 *   NodeRuntime.runMain(program.pipe(Failure.report("my-program"), Effect.provide(AppLayer)), { disableErrorReporting: true })
 *
 * prints e.g. `my-program failed: AgentNotFound: No agent named "writer"; registered agents: researcher`.
 */
import { Cause, Console, Effect, Option } from "effect"

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/** `Tag: message` for a tagged error, `Name: message` for an Error, the value itself otherwise. */
const headline = (error: unknown): string => {
  if (isRecord(error)) {
    const name = typeof error["_tag"] === "string" ? error["_tag"] : error instanceof Error ? error.name : undefined
    const message = typeof error["message"] === "string" ? error["message"] : undefined
    if (name !== undefined) return message === undefined || message === "" ? name : `${name}: ${message}`
  }
  return typeof error === "string" ? error : JSON.stringify(error) ?? String(error)
}

/** Where a defect was thrown: the first frame of its stack. */
const thrownAt = (error: unknown): string | undefined =>
  error instanceof Error ? error.stack?.split("\n").find((line) => /^\s+at /.test(line))?.trim() : undefined

/** The failure in `cause`: one line, then `  cause: …` (the error's own cause) or `  at …` (a defect's origin). */
export const describe = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "Interrupted"
  const failure = Cause.failureOption(cause)
  const error = Option.isSome(failure) ? failure.value : Cause.squash(cause)
  const lines = [Option.isSome(failure) ? headline(error) : `Defect: ${headline(error)}`]
  const inner = isRecord(error) ? error["cause"] : undefined
  if (inner !== undefined) lines.push(`  cause: ${headline(inner)}`)
  else if (Option.isNone(failure)) {
    const at = thrownAt(error)
    if (at !== undefined) lines.push(`  ${at}`)
  }
  return lines.join("\n")
}

/** Prints the failure of `self` (if it fails) to stderr as `<label> failed: <describe>`, then fails as before. */
export const report =
  (label: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.tapErrorCause(self, (cause) => Console.error(`${label} failed: ${describe(cause)}`))
