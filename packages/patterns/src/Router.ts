/**
 * Router: a classifier labels the request, and the route with that label answers it — given the
 * original input, not the classification. The classifier may answer with a bare label or with JSON
 * `{"category","confidence"}`; an unknown label or a confidence below `minConfidence` goes to the
 * default route.
 */
import * as Agent from "@aixfx/core/Agent"
import type * as AgentRuntime from "@aixfx/core/AgentRuntime"
import type * as LanguageModel from "@aixfx/core/LanguageModel"
import { RouteNotFound } from "@aixfx/core/AgentError"
import { Effect, Schema } from "effect"
import { findJsonObject } from "./internal/jsonText.js"
import * as Pattern from "./Pattern.js"

export interface Options<Routes extends Readonly<Record<string, Pattern.AgentRef>>> extends Pattern.CommonOptions {
  /** Answers with a label: bare text, or JSON `{"category"|"label"|"route", "confidence"?}`. */
  readonly classifier: Pattern.AgentRef
  /** Label → the agent (or pattern) that handles requests with that label. */
  readonly routes: Routes
  /** The route taken for an unknown label or a low confidence (default: none — `RouteNotFound`). */
  readonly defaultRoute?: keyof Routes & string
  /** A classification less confident than this takes the default route (default 0: always trusted). */
  readonly minConfidence?: number
}

/** What the classifier said: its label and, when it gave one, its confidence in [0, 1]. */
export interface Classification {
  readonly label: string
  readonly confidence: number | undefined
}

/** Why the route was chosen. */
export const Reason = Schema.Literal("matched", "unknown-label", "low-confidence")
export type Reason = typeof Reason.Type

const LABEL_KEYS = ["category", "label", "route", "class"] as const

/**
 * Reads a classifier's answer: JSON with a `category` (or `label`, `route`, `class`) and an optional
 * `confidence`, else the bare text with quotes, backticks and trailing punctuation removed.
 */
export const parseClassification = (output: string): Classification => {
  const json = findJsonObject(output)
  if (json !== undefined) {
    const label = LABEL_KEYS.map((key) => json[key]).find((value) => typeof value === "string")
    const confidence = json["confidence"]
    if (typeof label === "string") {
      return { label: label.trim(), confidence: typeof confidence === "number" && Number.isFinite(confidence) ? confidence : undefined }
    }
  }
  return { label: output.trim().replace(/^["'`]+|["'`.!]+$/g, "").trim(), confidence: undefined }
}

/** The Router pattern as an agent. */
export const make = <const Routes extends Readonly<Record<string, Pattern.AgentRef>>>(
  options: Options<Routes>
): Agent.Agent<AgentRuntime.AgentRuntime> => {
  const routeNames = Object.keys(options.routes)
  // Labels match route names without regard to case ("Billing" takes the "billing" route).
  const byLowerCase = new Map(routeNames.map((route) => [route.toLowerCase(), route]))
  const minConfidence = options.minConfidence ?? 0
  const defaultRoute = options.defaultRoute
  if (defaultRoute !== undefined && !Object.hasOwn(options.routes, defaultRoute)) {
    throw new TypeError(`Router "${options.name}": defaultRoute "${defaultRoute}" is not one of the routes (${routeNames.join(", ")})`)
  }

  const notFound = (label: string, why: string) =>
    new RouteNotFound({
      pattern: options.name,
      label,
      routes: routeNames,
      message: `Router "${options.name}": ${why} and there is no default route; routes: ${routeNames.join(", ")}`
    })

  const choose = (classification: Classification): Effect.Effect<{ route: string; reason: Reason }, RouteNotFound> => {
    const { confidence, label } = classification
    const matched = byLowerCase.get(label.toLowerCase())
    if (matched !== undefined && (confidence === undefined || confidence >= minConfidence)) return Effect.succeed({ route: matched, reason: "matched" })
    const reason: Reason = matched === undefined ? "unknown-label" : "low-confidence"
    if (defaultRoute !== undefined) return Effect.succeed({ route: defaultRoute, reason })
    return Effect.fail(
      notFound(
        label,
        reason === "unknown-label"
          ? `the classifier's label ${JSON.stringify(label)} matches no route`
          : `the classifier's label ${JSON.stringify(label)} has confidence ${confidence}, below minConfidence ${minConfidence},`
      )
    )
  }

  return Pattern.make("router", options, (input) =>
    Effect.gen(function* () {
      const classified = yield* Pattern.callStep(options, "classify", options.classifier, input)
      const classification = parseClassification(classified.payload)
      const { reason, route } = yield* choose(classification)
      yield* Effect.annotateCurrentSpan({
        "aixfx.router.label": classification.label,
        "aixfx.router.route": route,
        "aixfx.router.reason": reason,
        ...(classification.confidence === undefined ? {} : { "aixfx.router.confidence": classification.confidence })
      })
      const agent = options.routes[route]!
      const answer = yield* Pattern.callStep(options, `route.${route}`, agent, input)
      return Pattern.reply(
        input,
        answer.payload,
        {
          kind: "router",
          name: options.name,
          label: classification.label,
          confidence: classification.confidence ?? null,
          route,
          agent: Pattern.nameOf(agent),
          reason
        },
        answer.type
      )
    })
  )
}

/** What the complexity classifier is told: the two labels the offline model (and any LLM) decides between. */
export const COMPLEXITY_INSTRUCTIONS = [
  "You route requests by cost. Classify the request into one of these categories: simple, complex",
  "- simple: a short factual question a small model answers well",
  "- complex: needs analysis, design or several steps",
  'Reply only with JSON {"category": "<category>", "confidence": <0 to 1>}.'
].join("\n")

/** An LLM agent that labels a request `simple` or `complex` (with a confidence) for `costOptimized`. */
export const complexityClassifier = (options: { readonly name: string; readonly model?: string }): Agent.Agent<LanguageModel.LanguageModel> =>
  Agent.llm({
    name: options.name,
    role: "classifies requests as simple or complex",
    instructions: COMPLEXITY_INSTRUCTIONS,
    ...(options.model === undefined ? {} : { model: options.model })
  })

export interface CostOptimizedOptions extends Pattern.CommonOptions {
  /** Labels requests `simple` or `complex` (e.g. `complexityClassifier`, registered). */
  readonly classifier: Pattern.AgentRef
  /** The cheap agent, for simple requests. */
  readonly simple: Pattern.AgentRef
  /** The expensive agent, for complex requests. */
  readonly complex: Pattern.AgentRef
  /** Below this confidence the request goes to `whenUnsure` (default 0.6). */
  readonly minConfidence?: number
  /** The route for unknown labels and unsure classifications (default "complex": never risk quality). */
  readonly whenUnsure?: "simple" | "complex"
}

/** The cost-optimising preset: simple requests to the cheap agent, complex ones to the expensive one. */
export const costOptimized = (options: CostOptimizedOptions): Agent.Agent<AgentRuntime.AgentRuntime> => {
  const { complex, minConfidence, simple, whenUnsure, ...common } = options
  return make({
    ...common,
    routes: { simple, complex },
    defaultRoute: whenUnsure ?? "complex",
    minConfidence: minConfidence ?? 0.6
  })
}

/** What a Router's reply records in `metadata.trace`: the classification, and the route and agent it took. */
export const Trace = Schema.Struct({
  kind: Schema.Literal("router"),
  name: Schema.String,
  label: Schema.String,
  confidence: Schema.NullOr(Schema.Number),
  route: Schema.String,
  agent: Schema.String,
  reason: Reason
})
export type Trace = typeof Trace.Type

/** The typed outcome of a Router's reply (`Router.outcome(reply)`), decoded, no casts. */
export const outcome = Pattern.outcomeOf(Trace)
