/**
 * `withBudget`: a spending cap per run (or per agent in a run) that calls cannot cross together.
 *
 * Before a call is sent, its worst case is reserved in the `BudgetStore`: the prompt's tokens (o200k
 * tokenizer, plus a margin) at the input price and the output limit at the output price. The output
 * limit is what the request asks (`maxTokens`, else `defaultMaxTokens`), lowered to what the rest of
 * the budget affords; a call that cannot afford `minOutputTokens` is refused with `BudgetExceeded`
 * (or sent to `fallbackModel` when that one fits). Every call is sent with the limit it reserved, so
 * the provider cannot bill more output than was reserved. After the call the reservation is settled
 * with the actual cost (a call cut off keeps its reservation). See docs/costs.md for exactly what the cap covers.
 */
import * as BudgetStore from "@aixfx/core/BudgetStore"
import * as CallContext from "@aixfx/core/CallContext"
import * as LanguageModel from "@aixfx/core/LanguageModel"
import * as Pricing from "@aixfx/core/Pricing"
import * as Tokenizer from "@aixfx/core/Tokenizer"
import * as Usage from "@aixfx/core/Usage"
import { BudgetExceeded, InvalidRequest, type LlmError } from "@aixfx/core/AgentError"
import { Cause, Effect, Exit, Layer, Option, Ref, Stream, Struct } from "effect"

export interface Options {
  readonly maxUsd?: number
  readonly maxTokens?: number
  /** What one budget covers: the whole run, or each agent within the run. */
  readonly per: "run" | "agent"
  /** A cheaper model of the same provider to use when the requested one would cross the budget. */
  readonly fallbackModel?: string
  /** The output limit sent with a request that sets no `maxTokens` (default 4096), lowered to what the budget affords. */
  readonly defaultMaxTokens?: number
  /** A call whose output the budget cannot afford at least this many tokens of is refused (default 16, or the request's own smaller `maxTokens`). */
  readonly minOutputTokens?: number
}

/** The prompt is counted with o200k; other tokenizers (Claude's) count a few percent more, and framing a few tokens. */
const INPUT_MARGIN = 1.1
const INPUT_MARGIN_TOKENS = 16
/** Tokens a provider adds to the prompt when tools are offered (Anthropic's tool-use system prompt is 313–346). */
const TOOLS_OVERHEAD = 400
/** Reservation races lost to concurrent calls before giving up. */
const MAX_ATTEMPTS = 5

const usd = (n: number) => `$${n.toFixed(6).replace(/0{1,4}$/, "")}`

interface Cost {
  readonly model: string
  readonly inputTokens: number
  /** USD of the prompt. */
  readonly inputUsd: number
  /** USD per output token (at this prompt size: long-context tiers raise it). */
  readonly outputUsd: number
}

interface Plan {
  readonly model: string
  readonly output: number
  readonly usd: number
  readonly tokens: number
}

/** Decorates the `LanguageModel` below it. Budgets live in the `BudgetStore` in context, else in one of this layer's own. */
export const withBudget = (options: Options): Layer.Layer<LanguageModel.LanguageModel, never, LanguageModel.LanguageModel> =>
  Layer.effect(
    LanguageModel.LanguageModel,
    Effect.gen(function* () {
      const inner = yield* LanguageModel.LanguageModel
      // The store given to this layer, else one of its own. A call's own context may carry another
      // (its caller's run, see LocalRuntime): that one wins, so a run's budget sees every agent's calls.
      const builtStore = yield* Effect.serviceOption(BudgetStore.BudgetStore).pipe(
        Effect.flatMap(Option.match({ onNone: () => BudgetStore.make, onSome: Effect.succeed }))
      )
      const currentStore = Effect.map(Effect.serviceOption(BudgetStore.BudgetStore), Option.getOrElse(() => builtStore))
      // Pricing given to this layer (e.g. by withCostTracking below it), unless the caller has its own.
      const builtWith = yield* Pricing.current
      const defaultMaxTokens = options.defaultMaxTokens ?? 4096
      const minOutput = options.minOutputTokens ?? 16

      const scopeOf = (ctx: CallContext.CallContext) => {
        const run = `run "${ctx.runId ?? "(none)"}"`
        return options.per === "run" ? run : `agent "${ctx.agent ?? "(none)"}" in ${run}`
      }
      const tokensKey = (scope: string) => `${scope} (tokens)`

      const promptTokens = (request: LanguageModel.GenerateRequest) => {
        const tools = request.tools ?? []
        const counted = Tokenizer.countMessageTokens(request.messages) +
          tools.reduce((sum, t) => sum + Tokenizer.countTokens(`${t.name} ${t.description} ${JSON.stringify(LanguageModel.jsonSchema(t.parameters))}`), 0)
        return Math.ceil(counted * INPUT_MARGIN) + INPUT_MARGIN_TOKENS + (tools.length > 0 || request.responseSchema !== undefined ? TOOLS_OVERHEAD : 0)
      }

      const costOf = (pricing: Pricing.Service, request: LanguageModel.GenerateRequest, model: string) => {
        const inputTokens = promptTokens(request)
        const inputUsd = pricing.price(inner.provider, model, Usage.make({ inputTokens }))
        const withOutput = pricing.price(inner.provider, model, Usage.make({ inputTokens, outputTokens: 1_000_000 }))
        if (inputUsd === null || withOutput === null) {
          return options.maxUsd === undefined
            ? Effect.succeed<Cost>({ model, inputTokens, inputUsd: 0, outputUsd: 0 })
            : Effect.fail(
              new InvalidRequest({
                provider: inner.provider,
                model,
                message: `Budget of ${usd(options.maxUsd)} cannot be enforced: the price of ${inner.provider} model "${model}" is unknown; ` +
                  `add it to the pricing table (withCostTracking({ prices }))`
              })
            )
        }
        return Effect.succeed<Cost>({ model, inputTokens, inputUsd, outputUsd: (withOutput - inputUsd) / 1_000_000 })
      }

      /** The most output tokens `cost` affords within both limits, given what is committed. */
      const affordable = (cost: Cost, committed: { usd: number; tokens: number }) =>
        Math.min(
          options.maxUsd === undefined || cost.outputUsd === 0
            ? Number.POSITIVE_INFINITY
            : Math.floor((options.maxUsd - committed.usd - cost.inputUsd) / cost.outputUsd),
          options.maxTokens === undefined ? Number.POSITIVE_INFINITY : options.maxTokens - committed.tokens - cost.inputTokens
        )

      const planFor = (cost: Cost, output: number): Plan => ({
        model: cost.model,
        output,
        usd: cost.inputUsd + output * cost.outputUsd,
        tokens: cost.inputTokens + output
      })

      const refusal = (scope: string, committed: { usd: number; tokens: number }, plan: Plan, cost: Cost) => {
        const usdCrossed = options.maxUsd !== undefined && (options.maxTokens === undefined || committed.usd + plan.usd > options.maxUsd)
        const [unit, limit, spent, estimate, show] = usdCrossed
          ? ["usd" as const, options.maxUsd!, committed.usd, plan.usd, usd]
          : ["tokens" as const, options.maxTokens!, committed.tokens, plan.tokens, (n: number) => `${n} tokens`]
        return new BudgetExceeded({
          scope,
          unit,
          limit,
          spent,
          estimate,
          message: `Budget of ${show(limit)} per ${scope} would be exceeded: spent ${show(spent)} (calls in flight included), this call to ${plan.model} ` +
            `is estimated at ${show(estimate)} (${cost.inputTokens} prompt tokens + ${plan.output} output tokens), and fewer than ` +
            `${Math.min(plan.output, minOutput)} output tokens would fit`
        })
      }

      /** Reserves both limits for `plan`, or neither. */
      const reserve = (store: BudgetStore.Service, scope: string, plan: Plan) =>
        Effect.gen(function* () {
          const usdHold = options.maxUsd === undefined ? undefined : yield* store.reserve(scope, options.maxUsd, plan.usd)
          const tokenHold = options.maxTokens === undefined
            ? undefined
            : yield* store.reserve(tokensKey(scope), options.maxTokens, plan.tokens).pipe(
              Effect.tapError(() => (usdHold === undefined ? Effect.void : store.settle(usdHold, 0)))
            )
          return { usdHold, tokenHold }
        })

      /** Picks the model and output limit to send and reserves their worst case while the call runs. */
      const admit = Effect.fn("Budget.admit")(function* (request: LanguageModel.GenerateRequest) {
        const scope = scopeOf(yield* CallContext.get)
        const store = yield* currentStore
        const pricing = Option.getOrElse(yield* Effect.serviceOption(Pricing.Pricing), () => builtWith)
        const requested = request.model ?? inner.defaultModel
        const models = [requested, ...(options.fallbackModel === undefined || options.fallbackModel === requested ? [] : [options.fallbackModel])]
        const costs = yield* Effect.forEach(models, (model) => costOf(pricing, request, model))
        const wanted = request.maxTokens ?? defaultMaxTokens
        for (let attempt = 1;; attempt++) {
          const committed = {
            usd: options.maxUsd === undefined ? 0 : yield* store.committed(scope),
            tokens: options.maxTokens === undefined ? 0 : yield* store.committed(tokensKey(scope))
          }
          // The requested model at the full limit, else the fallback at the full limit, else the last of them at what is left.
          const whole = costs.find((cost) => affordable(cost, committed) >= wanted)
          const last = costs.at(-1)!
          const plan = whole !== undefined ? planFor(whole, wanted) : planFor(last, Math.min(wanted, affordable(last, committed)))
          if (plan.output < Math.min(wanted, minOutput)) return yield* Effect.fail(refusal(scope, committed, planFor(costs[0]!, wanted), costs[0]!))
          const held = yield* Effect.either(reserve(store, scope, plan))
          if (held._tag === "Right") {
            yield* Effect.annotateCurrentSpan({ "aixfx.budget.scope": scope, "aixfx.budget.model": plan.model, "aixfx.budget.max_tokens": plan.output })
            if (plan.model !== requested) yield* Effect.logInfo(`Budget per ${scope}: ${requested} would cross it, using ${plan.model} instead`)
            if (plan.output < wanted) yield* Effect.logInfo(`Budget per ${scope}: output of ${plan.model} limited to ${plan.output} tokens (asked ${wanted})`)
            return { request: { ...request, model: plan.model, maxTokens: plan.output }, plan, scope, store, ...held.right }
          }
          // A concurrent call reserved first: look again at what is left.
          if (attempt >= MAX_ATTEMPTS) return yield* Effect.fail(refusal(scope, committed, plan, costs.find((c) => c.model === plan.model)!))
        }
      })

      type Admitted = Effect.Effect.Success<ReturnType<typeof admit>>
      type Outcome =
        | { readonly _tag: "Usage"; readonly model: string; readonly usage: Usage.Usage }
        /** A stream that failed after its usage so far was counted: the provider may have billed more. */
        | { readonly _tag: "Cut"; readonly model: string; readonly usage: Usage.Usage }
        | { readonly _tag: "Unknown" }
        | { readonly _tag: "Nothing" }

      /**
       * Replaces the reservation with the actual cost. A call that reported usage costs that; one the
       * provider answered with an error status cost nothing; one cut off (timeout, network,
       * interruption, a stream failing midway) keeps its reservation, or what arrived if that is
       * more, as the provider may have billed it.
       */
      const settle = (admitted: Admitted, outcome: Outcome) =>
        Effect.gen(function* () {
          const pricing = Option.getOrElse(yield* Effect.serviceOption(Pricing.Pricing), () => builtWith)
          const reported = (model: string, usage: Usage.Usage) => ({
            usd: pricing.price(inner.provider, model, usage) ?? pricing.price(inner.provider, admitted.plan.model, usage) ?? admitted.plan.usd,
            tokens: usage.totalTokens
          })
          const actual = outcome._tag === "Usage"
            ? reported(outcome.model, outcome.usage)
            : outcome._tag === "Cut"
            ? Struct.evolve(reported(outcome.model, outcome.usage), {
              usd: (usd) => Math.max(usd, admitted.plan.usd),
              tokens: (tokens) => Math.max(tokens, admitted.plan.tokens)
            })
            : outcome._tag === "Nothing"
            ? { usd: 0, tokens: 0 }
            : { usd: admitted.plan.usd, tokens: admitted.plan.tokens }
          if (admitted.usdHold !== undefined) yield* admitted.store.settle(admitted.usdHold, actual.usd)
          if (admitted.tokenHold !== undefined) yield* admitted.store.settle(admitted.tokenHold, actual.tokens)
        })

      const failureOutcome = (error: LlmError): Outcome => ("status" in error && error.status !== undefined ? { _tag: "Nothing" } : { _tag: "Unknown" })

      return {
        ...inner,
        generate: (request) =>
          Effect.acquireUseRelease(
            admit(request),
            (admitted) => inner.generate(admitted.request),
            (admitted, exit) =>
              settle(
                admitted,
                Exit.match(exit, {
                  onSuccess: (response): Outcome => ({ _tag: "Usage", model: response.model, usage: response.usage }),
                  onFailure: (cause) => Option.match(Cause.failureOption(cause), { onNone: (): Outcome => ({ _tag: "Unknown" }), onSome: failureOutcome })
                })
              )
          ),
        stream: (request) =>
          Stream.unwrapScoped(
            Effect.gen(function* () {
              const outcome = yield* Ref.make<Outcome>({ _tag: "Unknown" })
              const admitted = yield* Effect.acquireRelease(admit(request), (admitted) => Effect.flatMap(Ref.get(outcome), (o) => settle(admitted, o)))
              return inner.stream(admitted.request).pipe(
                Stream.tap((part) => (part._tag === "Finish" ? Ref.set(outcome, { _tag: "Usage", model: part.model, usage: part.usage }) : Effect.void)),
                // A failing stream closes with the usage that arrived (its last part), which may be less than was billed.
                Stream.tapError((error) => Ref.update(outcome, (o): Outcome => (o._tag === "Usage" ? { ...o, _tag: "Cut" } : failureOutcome(error))))
              )
            })
          )
      }
    })
  )
