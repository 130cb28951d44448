/**
 * The distributed example, and every pattern, run with their agents spread over the example's two
 * node processes (this process hosts no agent: every step crosses gRPC).
 */
import { type AgentRuntime, DistributedRuntime, Message } from "@aixfx/core"
import { Ensemble, Hierarchical, Parallel, Rag, Reflection, Router, Swarm } from "@aixfx/patterns"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startNode } from "./cluster.js"
import { peersOf, showcase } from "./main.js"

let scope: Scope.CloseableScope
let peers: Record<string, string>

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  const running = await Effect.runPromise(
    Scope.extend(Effect.all([startNode("planning"), startNode("making")], { concurrency: 2 }), scope)
  )
  peers = peersOf(running)
}, 180_000)
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

const run = <A, E>(effect: Effect.Effect<A, E, AgentRuntime.AgentRuntime>) =>
  Effect.runPromise(Effect.provide(effect, DistributedRuntime.layer({ peers })))

describe("distributed example", () => {
  it("runs Hierarchical and Reflection with their agents on two node processes", async () => {
    const { project, review } = await Effect.runPromise(showcase(peers))
    const plan = Effect.runSync(Hierarchical.outcome(project))
    expect(plan.assignments.map((a) => a.team)).toEqual(expect.arrayContaining(["research", "engineering", "docs"]))
    expect(project.payload).toContain("streams rows")
    // The coder on "making" drafted code from its reference, and the reviewer on "planning" scored it.
    const loop = Effect.runSync(Reflection.outcome(review))
    expect(loop.scores.length).toBeGreaterThan(0)
    expect(loop.bestScore).toBeGreaterThan(0.5)
    expect(review.payload).toContain("export async function retryWithBackoff")
    expect(review.payload).toContain("// exponential backoff")
    expect(review.payload).not.toContain("I have no information")
  }, 60_000)

  it("Rag retrieves on one node and answers on the other", async () => {
    const out = await run(Rag.make({ name: "handbook-qa", retriever: "handbook", generator: "answerer" }).execute(Message.make("Which columns does the CSV export include?")))
    expect(JSON.stringify(out.metadata["trace"])).toContain("export")
    expect(out.payload).toContain("customer")
  }, 60_000)

  it("Parallel fans out to agents on both nodes", async () => {
    const out = await run(Parallel.make({ name: "both", agents: ["answerer", "researcher"], aggregate: Parallel.json }).execute(Message.make("Which columns do users need?")))
    expect(Object.keys(JSON.parse(out.payload))).toEqual(["answerer", "researcher"])
  }, 60_000)

  it("Router classifies on one node and routes to the other", async () => {
    const router = Router.make({ name: "desk", classifier: "classifier", routes: { code: "coder", docs: "writer" }, defaultRoute: "docs" })
    const out = await run(router.execute(Message.make("Write the user guide for the export")))
    expect(["coder", "writer"]).toContain((out.metadata["trace"] as { agent: string }).agent)
  }, 60_000)

  it("Swarm hands off from the front desk on one node to the writer on the other", async () => {
    const swarm = Swarm.make({ name: "support", entry: "front-desk", agents: ["writer"] })
    const out = await run(swarm.execute(Message.make("I need the writer to document the CSV export")))
    expect((out.metadata["trace"] as { path: ReadonlyArray<string> }).path).toEqual(["front-desk", "writer"])
  }, 60_000)

  it("Ensemble collects votes from both nodes", async () => {
    const ensemble = Ensemble.make({ name: "panel", models: ["classifier", "answerer", "writer"], agreementThreshold: 0, earlyStop: false })
    const out = await run(ensemble.execute(Message.make("code or docs?")))
    const tally = (out.metadata["trace"] as { tally: Record<string, number> }).tally
    expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(3)
  }, 60_000)

  it("a team member no node hosts fails the pattern with an error naming it", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.provide(
        Hierarchical.make({ name: "broken", manager: "manager", teams: { research: ["nobody"], engineering: ["coder"], docs: ["writer"] } }).execute(
          Message.make("Survey users, build the endpoint, write the guide")
        ),
        DistributedRuntime.layer({ peers })
      )
    )
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(exit._tag === "Failure" ? exit.cause : "")).toContain("nobody")
  }, 60_000)
})
