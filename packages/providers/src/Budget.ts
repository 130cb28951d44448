/**
 * `withBudget`: refuses a model call before it is sent when it could cross a spending limit for
 * the current run or agent (from `CallContext`). The estimate is the prompt's tokens counted with a
 * real tokenizer plus the request's `maxTokens` (or `assumedOutputTokens`) at the output price;
 * "spent" is what the `CostLedger` has recorded for that run/agent plus the estimates of calls
 * still in flight, so concurrent calls cannot overshoot together. With `fallbackModel` an
 * over-budget call is downgraded to that model when it fits, instead of failing.
 */
import { BudgetExceeded, CallContext, CostLedger, InvalidRequest, LanguageModel, Pricing, Tokenizer, Usage } from "@aixfx/core"
import { Effect, Either, Layer, Option, Ref, Stream } from "effect"

export interface Options {
  readonly maxUsd?: number
  readonly maxTokens?: number
  /** What one budget covers: the whole run, or each agent within the run. */
  readonly per: "run" | "agent"
  /** A cheaper model of the same provider to use when the requested one would cross the budget. */
  readonly fallbackModel?: string
  /** Output tokens counted for a request that sets no `maxTokens` (default 1024). */
  readonly assumedOutputTokens?: number
}

interface Amount {
  readonly usd: number
  readonly tokens: number
}

const zero: Amount = { usd: 0, tokens: 0 }
const plus = (a: Amount, b: Amount): Amount => ({ usd: a.usd + b.usd, tokens: a.tokens + b.tokens })
const minus = (a: Amount, b: Amount): Amount => ({ usd: a.usd - b.usd, tokens: a.tokens - b.tokens })

const usd = (n: number) => `$${n.toFixed(6).replace(/0{1,4}$/, "")}`

/**
 * Decorates the `LanguageModel` below it; needs a `CostLedger`. Spending is read from the ledger
 * in context at each call (the calling run's, see LocalRuntime), else from the one given here.
 */
export const withBudget = (
  options: Options
): Layer.Layer<LanguageModel.LanguageModel, never, LanguageModel.LanguageModel | CostLedger.CostLedger> =>
  Layer.effect(
    LanguageModel.LanguageModel,
    Effect.gen(function* () {
      const inner = yield* LanguageModel.LanguageModel
      const ledger = yield* CostLedger.CostLedger
      // Pricing given to this layer (e.g. by withCostTracking below it), unless the caller has its own.
      const builtWith = yield* Pricing.current
      const inFlight = yield* Ref.make(new Map<string, Amount>())
      const assumedOutput = options.assumedOutputTokens ?? 1024

      const scopeOf = (ctx: CallContext.CallContext) => {
        const run = `run "${ctx.runId ?? "(none)"}"`
        return options.per === "run" ? run : `agent "${ctx.agent ?? "(none)"}" in ${run}`
      }
      const inScope = (ctx: CallContext.CallContext) => (e: CostLedger.Entry) =>
        e.runId === ctx.runId && (options.per === "run" || e.agent === ctx.agent)

      const promptTokens = (request: LanguageModel.GenerateRequest) =>
        Tokenizer.countMessageTokens(request.messages) +
        (request.tools ?? []).reduce(
          (sum, t) => sum + Tokenizer.countTokens(`${t.name} ${t.description} ${JSON.stringify(LanguageModel.jsonSchema(t.parameters))}`),
          0
        )

      const estimate = (request: LanguageModel.GenerateRequest, model: string) =>
        Effect.gen(function* () {
          const pricing = Option.getOrElse(yield* Effect.serviceOption(Pricing.Pricing), () => builtWith)
          const input = promptTokens(request)
          const output = request.maxTokens ?? assumedOutput
          const cost = pricing.price(inner.provider, model, Usage.make({ inputTokens: input, outputTokens: output }))
          if (cost === null && options.maxUsd !== undefined) {
            return yield* Effect.fail(
              new InvalidRequest({
                provider: inner.provider,
                model,
                message: `Budget of ${usd(options.maxUsd)} cannot be enforced: the price of ${inner.provider} model "${model}" is unknown; add it to the pricing table (withCostTracking({ prices }))`
              })
            )
          }
          return { amount: { usd: cost ?? 0, tokens: input + output }, input, output }
        })

      /** The first limit `spent + estimate` would cross, if any. */
      const exceeded = (scope: string, spent: Amount, est: { amount: Amount; input: number; output: number }, model: string) => {
        const limits = [
          { unit: "usd" as const, limit: options.maxUsd, spent: spent.usd, estimate: est.amount.usd, show: usd },
          { unit: "tokens" as const, limit: options.maxTokens, spent: spent.tokens, estimate: est.amount.tokens, show: (n: number) => `${n} tokens` }
        ]
        const crossed = limits.find((l) => l.limit !== undefined && l.spent + l.estimate > l.limit)
        if (crossed === undefined) return Option.none()
        const { show, limit, ...fields } = crossed
        return Option.some(
          new BudgetExceeded({
            ...fields,
            scope,
            limit: limit!,
            message:
              `Budget of ${show(limit!)} per ${scope} would be exceeded: spent ${show(fields.spent)}, this call to ${model} is estimated at ` +
              `${show(fields.estimate)} (${est.input} prompt tokens + ${est.output} output tokens)`
          })
        )
      }

      /** Picks the model to send (requested or fallback) and reserves its estimate while it runs. */
      const admit = Effect.fn("Budget.admit")(function* (request: LanguageModel.GenerateRequest) {
        const ctx = yield* CallContext.get
        const scope = scopeOf(ctx)
        const requested = request.model ?? inner.defaultModel
        // The ledger of the call's run: the caller's when it has one (an agent's calls are recorded
        // in its caller's ledger), else the one this layer was built with.
        const runLedger = Option.getOrElse(yield* Effect.serviceOption(CostLedger.CostLedger), () => ledger)
        const recorded = (yield* runLedger.entries)
          .filter(inScope(ctx))
          .reduce((sum, e) => plus(sum, { usd: e.costUsd ?? 0, tokens: e.usage.totalTokens }), zero)
        const candidates = [requested, ...(options.fallbackModel === undefined || options.fallbackModel === requested ? [] : [options.fallbackModel])]
        const estimates = yield* Effect.forEach(candidates, (model) => Effect.map(estimate(request, model), (est) => ({ model, est })))
        const verdict = yield* Ref.modify(inFlight, (reserved): readonly [Either.Either<{ model: string; amount: Amount }, BudgetExceeded>, Map<string, Amount>] => {
          const spent = plus(recorded, reserved.get(scope) ?? zero)
          let refusal: BudgetExceeded | undefined
          for (const { model, est } of estimates) {
            const over = exceeded(scope, spent, est, model)
            if (Option.isNone(over)) {
              return [Either.right({ model, amount: est.amount }), new Map(reserved).set(scope, plus(reserved.get(scope) ?? zero, est.amount))]
            }
            refusal ??= over.value
          }
          return [Either.left(refusal!), reserved]
        })
        const admitted = yield* verdict
        yield* Effect.annotateCurrentSpan({ "aixfx.budget.scope": scope, "aixfx.budget.model": admitted.model })
        if (admitted.model !== requested) {
          yield* Effect.logInfo(`Budget per ${scope}: ${requested} would cross it, using ${admitted.model} instead`)
        }
        const release = Ref.update(inFlight, (reserved) => new Map(reserved).set(scope, minus(reserved.get(scope) ?? zero, admitted.amount)))
        return { request: { ...request, model: admitted.model }, release }
      })

      return {
        ...inner,
        generate: (request) =>
          Effect.acquireUseRelease(
            admit(request),
            (admitted) => inner.generate(admitted.request),
            (admitted) => admitted.release
          ),
        stream: (request) =>
          Stream.unwrapScoped(
            Effect.map(
              Effect.acquireRelease(admit(request), (admitted) => admitted.release),
              (admitted) => inner.stream(admitted.request)
            )
          )
      }
    })
  )
