import { describe, expect, it } from "vitest"
import { decodeTraceRequest } from "../src/OtlpDecode.js"
import { buildTree, treeUsage } from "../src/TraceTree.js"
import { type FixtureSpan, TRACE_A, otlpJson, routerRun } from "./fixtures.js"

const spansOf = (fixture: ReadonlyArray<FixtureSpan>) => decodeTraceRequest(otlpJson(TRACE_A, fixture))

describe("buildTree", () => {
  it("nests workflow → pattern → agent → model and classifies each node", () => {
    const tree = buildTree(spansOf(routerRun))
    expect(tree.roots).toHaveLength(1)
    const workflow = tree.roots[0]!
    expect(workflow.kind).toBe("workflow")
    const router = workflow.children[0]!
    expect(router.kind).toBe("pattern")
    expect(router.children.map((child) => [child.kind, child.span.name])).toEqual([
      ["model", "chat gpt-4o-mini"],
      ["agent", "invoke_agent billing"]
    ])
    expect(router.children[1]!.children[0]!.kind).toBe("model")
    expect(router.children[1]!.parentKey).toBe(router.key)
    expect(tree.byKey.get(router.key)).toBe(router)
  })

  it("rolls cost and tokens up the tree", () => {
    const tree = buildTree(spansOf(routerRun))
    const workflow = tree.roots[0]!
    expect(workflow.usage.costUsd).toBeCloseTo(0.0031, 10)
    expect(workflow.usage.inputTokens).toBe(500)
    expect(workflow.usage.outputTokens).toBe(210)
    expect(workflow.usage.modelCalls).toBe(2)
    expect(workflow.children[0]!.children[1]!.usage.costUsd).toBeCloseTo(0.003, 10)
    expect(treeUsage(tree).costUsd).toBeCloseTo(0.0031, 10)
  })

  it("does not count a parent's own total on top of its children's", () => {
    const withParentTotal = routerRun.map((span) =>
      span.name === "invoke_agent billing" ? { ...span, attributes: [...span.attributes, { key: "gen_ai.usage.cost", value: { doubleValue: 0.003 } }] } : span
    )
    expect(buildTree(spansOf(withParentTotal)).roots[0]!.usage.costUsd).toBeCloseTo(0.0031, 10)
  })

  it("prices model calls that carry tokens but no cost with the runtime's price table", () => {
    const unpriced = routerRun.map((span) => ({ ...span, attributes: span.attributes.filter((a) => a.key !== "gen_ai.usage.cost") }))
    const tree = buildTree(spansOf(unpriced))
    // gpt-4o-mini 100 in / 10 out at $0.15 / $0.60 per 1M; gpt-4o 400 in / 200 out at $2.50 / $10 per 1M.
    expect(tree.roots[0]!.usage.costUsd).toBeCloseTo((100 * 0.15 + 10 * 0.6 + 400 * 2.5 + 200 * 10) / 1e6, 12)
    expect(tree.roots[0]!.usage.inputTokens).toBe(500)
  })

  it("leaves cost undefined for a model the table does not know", () => {
    const unknown = routerRun.map((span) => ({
      ...span,
      attributes: span.attributes.filter((a) => a.key !== "gen_ai.usage.cost").map((a) => (a.key === "gen_ai.request.model" ? { ...a, value: { stringValue: "acme-large" } } : a))
    }))
    expect(buildTree(spansOf(unknown)).roots[0]!.usage.costUsd).toBeUndefined()
  })

  it("builds the same tree whatever order the spans arrive in", () => {
    const inOrder = buildTree(spansOf(routerRun))
    const reversed = buildTree(spansOf([...routerRun].reverse()))
    const shape = (tree: ReturnType<typeof buildTree>) => JSON.stringify(tree.roots, (key, value) => (key === "span" ? value.name : value))
    expect(shape(reversed)).toBe(shape(inOrder))
  })

  it("shows a span whose parent has not arrived at the top level, then moves it under the parent", () => {
    const early = buildTree(spansOf(routerRun.filter((span) => span.name !== "invoke_agent billing")))
    const orphan = early.roots.find((node) => node.span.name === "chat gpt-4o")!
    expect(orphan.orphan).toBe(true)
    expect(early.roots).toHaveLength(2)
    const complete = buildTree(spansOf(routerRun))
    expect(complete.roots).toHaveLength(1)
    expect(complete.roots[0]!.orphan).toBe(false)
  })

  it("counts errors in a subtree", () => {
    const failing = routerRun.map((span) => (span.name === "chat gpt-4o" ? { ...span, error: true } : span))
    const tree = buildTree(spansOf(failing))
    expect(tree.roots[0]!.errors).toBe(1)
    expect(tree.roots[0]!.children[0]!.children[0]!.errors).toBe(0)
  })
})
