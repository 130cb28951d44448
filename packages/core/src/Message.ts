/**
 * The one wire type of every runtime: what agents receive and return.
 */
import { Context, Effect, Fiber, Option, ParseResult, Schema } from "effect"
import { PayloadDecodeError } from "./AgentError.js"
import { contextOf, instanceWithoutValidation } from "./internal/effectInternals.js"
import { randomId } from "./internal/randomId.js"
import { firstNonJsonPath, JsonObject, toJson } from "./Json.js"

export class Message extends Schema.Class<Message>("@aixfx/core/Message")({
  id: Schema.String,
  type: Schema.String,
  payload: Schema.String,
  metadata: JsonObject,
  /** Milliseconds since the Unix epoch. */
  timestamp: Schema.Number
}) {}

export interface MakeOptions {
  readonly payload: string
  readonly type?: string
  readonly metadata?: JsonObject
  readonly id?: string
  readonly timestamp?: number
}

/**
 * Builds a message from fields whose types TypeScript has checked. Only the metadata's JSON-safety
 * needs a run-time check, and a plain loop does it; Schema validation of every field on every
 * message cost ~90 µs, which dominated a runtime call.
 */
const unsafeMake = (fields: Message.Fields): Message => {
  const bad = firstNonJsonPath(fields.metadata, "metadata")
  if (bad !== undefined) throw new TypeError(`Message metadata must be JSON-safe; ${bad} is not (NaN, Infinity, undefined, functions and class instances are not JSON)`)
  // What the Schema.Class constructor does with validation off, less its search for field
  // defaults (Message has none): the same instance (equal, hashing alike, `Schema.is`), several
  // times faster; a served gRPC call builds two. Message.test holds it to the constructor's result.
  return instanceWithoutValidation(Message, fields)
}

/**
 * Where new messages get their ids and times on a fiber, instead of a random UUID and the wall
 * clock: a durable run installs one so that its messages replay identically (ids derived from the
 * step, times from the run's journal).
 */
export interface IdSource {
  readonly next: () => { readonly id: string; readonly timestamp: number }
}

export class CurrentIdSource extends Context.Reference<CurrentIdSource>()("@aixfx/core/Message/CurrentIdSource", {
  defaultValue: (): IdSource | undefined => undefined
}) {}

// How many id sources are installed in the process: while none is, `make` never looks at the fiber.
let idSources = 0

/** Counts an id source in (while `CurrentIdSource` may be set on some fiber); returns its release. */
export const enableIdSource = (): (() => void) => {
  idSources++
  let released = false
  return () => {
    if (!released) idSources--
    released = true
  }
}

const currentIdSource = (): IdSource | undefined => {
  const fiber = Fiber.getCurrentFiber()
  return Option.isSome(fiber) ? Context.get(contextOf(fiber.value), CurrentIdSource) : undefined
}

/** The fields of a new message: fresh id and time unless given. */
const fieldsOf = (o: MakeOptions, metadata: JsonObject): Message.Fields => {
  const source = idSources > 0 && (o.id === undefined || o.timestamp === undefined) ? currentIdSource() : undefined
  if (source !== undefined) {
    const next = source.next()
    return { id: o.id ?? next.id, type: o.type ?? "text", payload: o.payload, metadata, timestamp: o.timestamp ?? next.timestamp }
  }
  return {
    id: o.id ?? randomId(),
    type: o.type ?? "text",
    payload: o.payload,
    metadata,
    timestamp: o.timestamp ?? Date.now()
  }
}

/** A new message with a fresh id and the current time. */
export const make = (options: MakeOptions | string): Message => {
  const o = typeof options === "string" ? { payload: options } : options
  return unsafeMake(fieldsOf(o, o.metadata ?? {}))
}

/** A message whose payload is `value` encoded as JSON (type defaults to "json"). */
export const fromValue = (value: unknown, options: Omit<MakeOptions, "payload"> = {}): Message =>
  make({ type: "json", ...options, payload: JSON.stringify(toJson(value)) })

/**
 * A new message answering `input`: fresh id and time, `inReplyTo` pointing at the input, and the
 * input's metadata carried forward under the given additions (the input is never mutated).
 */
export const reply = (input: Message, options: MakeOptions | string): Message => {
  const o = typeof options === "string" ? { payload: options } : options
  // Fields picked, not spread: `{ ...o, metadata }` made this about four times slower.
  return unsafeMake(fieldsOf(o, { ...input.metadata, ...o.metadata, inReplyTo: input.id }))
}

/** The same message with metadata keys added or replaced (a new value). */
export const withMetadata = (message: Message, metadata: JsonObject): Message =>
  unsafeMake({ ...message, metadata: { ...message.metadata, ...metadata } })

/** Decodes the JSON payload with `schema`; a failure names the message and the field path. */
export const decodePayload = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(schema)
  return (message: Message): Effect.Effect<A, PayloadDecodeError> =>
    Effect.try({
      try: () => JSON.parse(message.payload) as unknown,
      catch: (e) =>
        new PayloadDecodeError({
          messageId: message.id,
          path: "$",
          issue: `payload is not JSON: ${(e as Error).message}`,
          message: `Message ${message.id}: payload is not JSON: ${(e as Error).message}`
        })
    }).pipe(
      Effect.flatMap((json) => decode(json)),
      Effect.catchTag("ParseError", (error) => {
        const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
        const path = first === undefined ? "$" : ["$", ...first.path.map(String)].join(".")
        const issue = first?.message ?? error.message
        return Effect.fail(
          new PayloadDecodeError({ messageId: message.id, path, issue, message: `Message ${message.id}: invalid payload at ${path}: ${issue}` })
        )
      })
    )
}

const MessageJson = Schema.parseJson(Message)
/** Encodes a message as a JSON string. */
export const toJsonString = (message: Message): string => Schema.encodeSync(MessageJson)(message)
/** Decodes a message from a JSON string. */
export const fromJsonString = Schema.decodeUnknown(MessageJson)

export declare namespace Message {
  export type Fields = ConstructorParameters<typeof Message>[0]
}
