/**
 * Swarm: agents hand a conversation to each other. The entry agent answers first; a reply carrying
 * `metadata.handoff = { to, reason }` (what `Agent.llm` makes of a `transfer_to_<agent>` tool call)
 * passes the turn on. Every agent receives the ORIGINAL request as its payload and the conversation
 * so far in `metadata.conversation` — not only the last output, as Aixgo does. The first reply
 * without a handoff is the answer.
 */
import type * as Agent from "@aixfx/core/Agent"
import type * as AgentRuntime from "@aixfx/core/AgentRuntime"
import type * as Json from "@aixfx/core/Json"
import type * as Message from "@aixfx/core/Message"
import { InvalidHandoff, MaxHandoffsExceeded } from "@aixfx/core/AgentError"
import { Effect, Schema } from "effect"
import { stepRequest } from "./internal/step.js"
import * as Pattern from "./Pattern.js"

export interface Options extends Pattern.CommonOptions {
  /** The agent that takes the request first. */
  readonly entry: Pattern.AgentRef
  /** The agents that may receive a handoff (the entry may be listed or not). */
  readonly agents: ReadonlyArray<Pattern.AgentRef>
  /** Handoffs allowed in one run (default 10); one more fails with `MaxHandoffsExceeded`. */
  readonly maxHandoffs?: number
}

/** A handoff as an agent writes it in its reply's metadata. */
export const Handoff = Schema.Struct({ to: Schema.String, reason: Schema.optional(Schema.String) })
export type Handoff = typeof Handoff.Type

const decodeHandoff = Schema.decodeUnknownOption(Handoff)

/** The handoff a reply asks for, if any. */
export const handoffOf = (reply: Message.Message): Handoff | undefined => {
  const found = decodeHandoff(reply.metadata["handoff"])
  return found._tag === "Some" ? found.value : undefined
}

/** One turn of the conversation, as agents receive it in `metadata.conversation`. */
export interface Turn {
  readonly role: "user" | "assistant"
  readonly content: string
  readonly agent?: string
}

/** The Swarm pattern as an agent. */
export const make = (options: Options): Agent.Agent<AgentRuntime.AgentRuntime> => {
  const entry = Pattern.nameOf(options.entry)
  const members = [...new Set([entry, ...options.agents.map(Pattern.nameOf)])]
  const maxHandoffs = options.maxHandoffs ?? 10

  return Pattern.make("swarm", options, (input) =>
    Effect.gen(function* () {
      const path: Array<string> = [entry]
      const handoffs: Array<{ from: string; to: string; reason: string }> = []
      const conversation: Array<Turn> = [{ role: "user", content: input.payload }]
      const annotate = () =>
        Effect.annotateCurrentSpan({ "aixfx.swarm.path": path.join(">"), "aixfx.swarm.handoffs": handoffs.length })

      for (let turn = 0; ; turn++) {
        const current = path[path.length - 1]!
        // Prior turns only: the request itself is the payload.
        const request = stepRequest(input, input.payload, { conversation: conversation.slice(1) as unknown as Json.JsonValue })
        const reply = yield* Pattern.callStep(options, `turn.${turn}.${current}`, current, request)
        if (reply.payload.length > 0) conversation.push({ role: "assistant", content: reply.payload, agent: current })
        const handoff = handoffOf(reply)
        if (handoff === undefined) {
          yield* annotate()
          return Pattern.reply(input, reply.payload, { kind: "swarm", name: options.name, path: [...path], handoffs: [...handoffs] }, reply.type)
        }
        if (!members.includes(handoff.to)) {
          yield* annotate()
          return yield* Effect.fail(
            new InvalidHandoff({
              pattern: options.name,
              from: current,
              to: handoff.to,
              agents: members,
              message: `Swarm "${options.name}": agent "${current}" handed off to "${handoff.to}", which is not one of its agents (${members.join(", ")})`
            })
          )
        }
        if (handoffs.length >= maxHandoffs) {
          path.push(handoff.to)
          yield* annotate()
          return yield* Effect.fail(
            new MaxHandoffsExceeded({
              pattern: options.name,
              maxHandoffs,
              path: [...path],
              message: `Swarm "${options.name}": more than ${maxHandoffs} handoffs; path ${path.join(" → ")}`
            })
          )
        }
        handoffs.push({ from: current, to: handoff.to, reason: handoff.reason ?? "" })
        path.push(handoff.to)
      }
    })
  )
}

/** What a Swarm's reply records in `metadata.trace`: the agents that held the conversation, and each handoff. */
export const Trace = Schema.Struct({
  kind: Schema.Literal("swarm"),
  name: Schema.String,
  path: Schema.Array(Schema.String),
  handoffs: Schema.Array(Schema.Struct({ from: Schema.String, to: Schema.String, reason: Schema.String }))
})
export type Trace = typeof Trace.Type

/** The typed outcome of a Swarm's reply (`Swarm.outcome(reply)`), decoded, no casts. */
export const outcome = Pattern.outcomeOf(Trace)
