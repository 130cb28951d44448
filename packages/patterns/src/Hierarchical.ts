/**
 * Hierarchical: a manager splits the task between teams (a typed plan), every assigned team works
 * at once — and every worker of a team at once — then the manager, told that this is the synthesis
 * stage, combines the original task and every team's result into the answer. Team members may be
 * patterns themselves; `maxDepth` bounds how deep the nesting may go.
 */
import type * as Agent from "@aixfx/core/Agent"
import type * as AgentRuntime from "@aixfx/core/AgentRuntime"
import * as CallContext from "@aixfx/core/CallContext"
import * as Message from "@aixfx/core/Message"
import { type AgentError, MaxDepthExceeded, PlanInvalid, UnknownTeam } from "@aixfx/core/AgentError"
import { Effect, ParseResult, Schema } from "effect"
import { findJsonObject } from "./internal/jsonText.js"
import { stepRequest } from "./internal/step.js"
import * as Pattern from "./Pattern.js"

export interface Options extends Pattern.CommonOptions {
  /** Plans (stage "plan") and synthesises (stage "synthesis"); see `planPrompt`, `synthesisPrompt`. */
  readonly manager: Pattern.AgentRef
  /** Team name → its workers (agents or patterns), which all get the team's assignment. */
  readonly teams: Readonly<Record<string, ReadonlyArray<Pattern.AgentRef>>>
  /** Deepest pattern nesting at which this pattern may run, counting every enclosing pattern and itself (default 3). */
  readonly maxDepth?: number
}

export const Assignment = Schema.Struct({ team: Schema.String, task: Schema.String })
export type Assignment = typeof Assignment.Type

/** The manager's plan: JSON `{ "assignments": [{ "team", "task" }] }`, at least one assignment. */
export const Plan = Schema.Struct({ assignments: Schema.NonEmptyArray(Assignment) })
export type Plan = typeof Plan.Type

/** One team's outcome: its assignment and each worker's reply. */
export interface TeamResult extends Assignment {
  readonly workers: ReadonlyArray<{ readonly agent: string; readonly output: string }>
}

const decodePlan = Schema.decodeUnknownEither(Plan)

/**
 * Reads the plan from the manager's reply: `metadata.plan`, else `metadata.assignments`, else the
 * JSON in its payload. Anything that is not a non-empty list of `{ team, task }` is `PlanInvalid`.
 */
export const parsePlan = (pattern: string, manager: string, reply: Message.Message): Effect.Effect<Plan, PlanInvalid> => {
  const { plan, assignments } = reply.metadata
  const candidate = plan ?? (assignments === undefined ? findJsonObject(reply.payload) : { assignments })
  const invalid = (issue: string) =>
    new PlanInvalid({
      pattern,
      manager,
      output: reply.payload,
      message: `Hierarchical "${pattern}": the plan from manager "${manager}" is invalid (${issue}); expected JSON {"assignments":[{"team","task"}]}`
    })
  if (candidate === undefined) return Effect.fail(invalid("no JSON object in the reply"))
  const decoded = decodePlan(candidate)
  return decoded._tag === "Right"
    ? Effect.succeed(decoded.right)
    : Effect.fail(invalid(ParseResult.TreeFormatter.formatErrorSync(decoded.left).replace(/\s*\n\s*/g, " ")))
}

const teamList = (teams: Options["teams"]) =>
  Object.entries(teams).map(([team, workers]) => `${team} (${workers.map(Pattern.nameOf).join(", ")})`).join("; ")

/** What the manager is asked first: the planning stage, the plan's shape, the teams and the task. */
export const planPrompt = (task: string, teams: Options["teams"]): string =>
  `Planning stage: split the task below between the teams and reply only with JSON ` +
  `{"assignments":[{"team":"<team>","task":"<that team's part>"}]}. Teams (workers): ${teamList(teams)}.\n\nTask:\n${task}`

/** What the manager is asked last: explicitly the synthesis stage, with the task and every result. */
export const synthesisPrompt = (task: string, results: ReadonlyArray<TeamResult>): string =>
  `Synthesis stage: the teams have finished their assignments. Do not plan or assign work again; ` +
  `combine the team results below into one final answer to the original task.\n\nTask:\n${task}\n\nTeam results:\n` +
  results
    .map((r) => `## ${r.team}: ${r.task}\n${r.workers.map((w) => (r.workers.length === 1 ? w.output : `[${w.agent}] ${w.output}`)).join("\n\n")}`)
    .join("\n\n")

/** The Hierarchical pattern as an agent. */
export const make = (options: Options): Agent.Agent<AgentRuntime.AgentRuntime> => {
  const maxDepth = options.maxDepth ?? 3
  const manager = Pattern.nameOf(options.manager)
  const teamNames = Object.keys(options.teams)

  const checkDepth = Effect.flatMap(CallContext.get, ({ patternPath }) =>
    patternPath.length <= maxDepth
      ? Effect.succeed(patternPath.length)
      : Effect.fail(
        new MaxDepthExceeded({
          pattern: options.name,
          maxDepth,
          path: patternPath,
          message: `Hierarchical "${options.name}" would run at nesting depth ${patternPath.length} (${patternPath.join(" > ")}), beyond its maxDepth ${maxDepth}`
        })
      )
  )

  const checkTeams = (plan: Plan) =>
    Effect.forEach(plan.assignments, (a) =>
      Object.hasOwn(options.teams, a.team)
        ? Effect.void
        : Effect.fail(
          new UnknownTeam({
            pattern: options.name,
            team: a.team,
            teams: teamNames,
            message: `Hierarchical "${options.name}": manager "${manager}" assigned work to unknown team "${a.team}"; teams: ${teamNames.join(", ")}`
          })
        ), { discard: true })

  const runTeam = (input: Message.Message, assignment: Assignment) =>
    Effect.forEach(
      options.teams[assignment.team]!,
      (worker) => {
        const agent = Pattern.nameOf(worker)
        // The assignment alone is the payload, so a nested pattern works on its part of the task only.
        const request = stepRequest(input, assignment.task, { stage: "work", team: assignment.team, task: input.payload })
        return Effect.map(Pattern.callStep(options, `team.${assignment.team}.${agent}`, worker, request), (reply) => ({ agent, output: reply.payload }))
      },
      { concurrency: "unbounded" }
    ).pipe(Effect.map((workers): TeamResult => ({ ...assignment, workers })))

  return Pattern.make("hierarchical", options, (input): Effect.Effect<Message.Message, AgentError, AgentRuntime.AgentRuntime> =>
    Effect.gen(function* () {
      const depth = yield* checkDepth
      const task = input.payload
      const planRequest = stepRequest(input, planPrompt(task, options.teams), {
        stage: "plan",
        task,
        teams: Object.fromEntries(Object.entries(options.teams).map(([t, ws]) => [t, ws.map(Pattern.nameOf)]))
      })
      const plan = yield* Pattern.callStep(options, "plan", options.manager, planRequest).pipe(
        Effect.flatMap((reply) => parsePlan(options.name, manager, reply))
      )
      yield* checkTeams(plan)
      yield* Effect.annotateCurrentSpan({
        "aixfx.hierarchical.depth": depth,
        "aixfx.hierarchical.assignments": JSON.stringify(plan.assignments)
      })
      const results = yield* Effect.forEach(plan.assignments, (a) => runTeam(input, a), { concurrency: "unbounded" })
      const synthesisRequest = stepRequest(input, synthesisPrompt(task, results), {
        stage: "synthesis",
        task,
        results: results.map((r) => ({ team: r.team, task: r.task, workers: r.workers.map((w) => ({ ...w })) }))
      })
      const answer = yield* Pattern.callStep(options, "synthesize", options.manager, synthesisRequest)
      return Pattern.reply(
        input,
        answer.payload,
        {
          kind: "hierarchical",
          name: options.name,
          depth,
          assignments: results.map((r) => ({ team: r.team, task: r.task, workers: r.workers.map((w) => w.agent) }))
        },
        answer.type
      )
    })
  )
}

/** What a Hierarchical's reply records in `metadata.trace`: its nesting depth, and each team's task and workers. */
export const Trace = Schema.Struct({
  kind: Schema.Literal("hierarchical"),
  name: Schema.String,
  depth: Schema.Number,
  assignments: Schema.Array(Schema.Struct({ team: Schema.String, task: Schema.String, workers: Schema.Array(Schema.String) }))
})
export type Trace = typeof Trace.Type

/** The typed outcome of a Hierarchical's reply (`Hierarchical.outcome(reply)`), decoded, no casts. */
export const outcome = Pattern.outcomeOf(Trace)
