import { Agent, AgentRuntime, Message, ProviderUnavailable, Telemetry } from "@aixfx/core"
import { Hierarchical } from "@aixfx/patterns"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref, Schedule, TestClock } from "effect"
import { assertInterruptsSteps, hangingProbe, recording, spanNamed } from "./probes.js"
import { withRuntime } from "./runtime.js"

const plan = (...assignments: ReadonlyArray<readonly [string, string]>) => JSON.stringify({ assignments: assignments.map(([team, task]) => ({ team, task })) })

/** A manager that answers the planning stage with `planReply` and the synthesis stage with a summary. */
const manager = (planReply: string) =>
  recording("manager", (input) => (input.metadata["stage"] === "plan" ? planReply : `final: ${input.payload.length} chars`))

/** A worker that takes a second and answers with its name and the first line of its request. */
const slowWorker = (name: string) =>
  AgentRuntime.register(
    Agent.make({ name, execute: (m) => Effect.as(Effect.sleep("1 second"), Message.reply(m, `${name} did: ${m.payload.split("\n")[0]}`)) })
  )

const teams = { research: ["analyst", "librarian"], build: ["coder"] }

describe("Hierarchical", () => {
  it.effect("plans, runs every team and every worker at once, then synthesises, told it is the synthesis stage", () =>
    withRuntime(
      Effect.gen(function* () {
        const boss = yield* manager(plan(["research", "find prior art"], ["build", "write the prototype"]))
        for (const worker of ["analyst", "librarian", "coder"]) yield* slowWorker(worker)
        const input = Message.make("Ship a prototype search feature")
        const fiber = yield* Effect.fork(Hierarchical.make({ name: "project", manager: "manager", teams }).execute(input))
        // Three one-second workers finish in one second only if they all run concurrently.
        yield* TestClock.adjust("1 second")
        const out = yield* Fiber.join(fiber)

        const [planning, synthesis] = yield* boss.received
        assert.isTrue(planning!.payload.startsWith("Planning stage:"))
        assert.include(planning!.payload, "research (analyst, librarian); build (coder)")
        assert.include(planning!.payload, "Task:\nShip a prototype search feature")
        assert.deepStrictEqual(planning!.metadata["teams"], { research: ["analyst", "librarian"], build: ["coder"] })
        assert.isTrue(synthesis!.payload.startsWith("Synthesis stage:"))
        assert.strictEqual(synthesis!.metadata["stage"], "synthesis")
        assert.include(synthesis!.payload, "Task:\nShip a prototype search feature")
        assert.include(synthesis!.payload, "## research: find prior art\n[analyst] analyst did: find prior art\n\n[librarian] librarian did: find prior art")
        assert.include(synthesis!.payload, "## build: write the prototype\ncoder did: write the prototype")

        assert.strictEqual(out.payload, `final: ${synthesis!.payload.length} chars`)
        assert.strictEqual(out.metadata["inReplyTo"], input.id)
        assert.deepStrictEqual(input.metadata, {}, "the input is not mutated")
        assert.deepStrictEqual(yield* Hierarchical.outcome(out), {
          kind: "hierarchical",
          name: "project",
          depth: 1,
          assignments: [
            { team: "research", task: "find prior art", workers: ["analyst", "librarian"] },
            { team: "build", task: "write the prototype", workers: ["coder"] }
          ]
        })
      })
    ))

  it.effect("a worker gets its assignment as payload, the whole task and the input's metadata as metadata", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* manager(plan(["build", "write the parser"]))
        const coder = yield* recording("coder", () => "done")
        yield* Hierarchical.make({ name: "project", manager: "manager", teams: { build: ["coder"] } }).execute(
          Message.make({ payload: "Build a JSON tool", metadata: { user: "ana" } })
        )
        const [request] = yield* coder.received
        assert.strictEqual(request!.payload, "write the parser")
        assert.deepStrictEqual(request!.metadata, { user: "ana", stage: "work", team: "build", task: "Build a JSON tool" })
      })
    ))

  it.effect("reads a plan from the reply's metadata, and JSON wrapped in prose", () =>
    Effect.gen(function* () {
      const fromMetadata = yield* Hierarchical.parsePlan("p", "m", Message.make({ payload: "see metadata", metadata: { plan: { assignments: [{ team: "build", task: "x" }] } } }))
      assert.deepStrictEqual(fromMetadata.assignments, [{ team: "build", task: "x" }])
      const fromAssignments = yield* Hierarchical.parsePlan("p", "m", Message.make({ payload: "", metadata: { assignments: [{ team: "build", task: "y" }] } }))
      assert.deepStrictEqual(fromAssignments.assignments, [{ team: "build", task: "y" }])
      const inProse = yield* Hierarchical.parsePlan("p", "m", Message.make(`Here is the plan:\n\`\`\`json\n${plan(["build", "z"])}\n\`\`\``))
      assert.deepStrictEqual(inProse.assignments, [{ team: "build", task: "z" }])
    }))

  it.effect("an unreadable plan fails with PlanInvalid naming the manager and the problem", () =>
    withRuntime(
      Effect.gen(function* () {
        const replies = ["I think the team should just do it.", JSON.stringify({ assignments: [] }), JSON.stringify({ assignments: [{ team: "build" }] })]
        const calls = yield* Ref.make(0)
        yield* AgentRuntime.register(
          Agent.make({ name: "manager", execute: (m) => Effect.map(Ref.getAndUpdate(calls, (n) => n + 1), (n) => Message.reply(m, replies[n]!)) })
        )
        const coder = yield* recording("coder", () => "done")
        const pattern = Hierarchical.make({ name: "project", manager: "manager", teams: { build: ["coder"] } })
        for (const [i, issue] of ["no JSON object", "assignments", "task"].entries()) {
          const error = yield* Effect.flip(pattern.execute(Message.make("t")))
          assert.strictEqual(error._tag, "PlanInvalid")
          if (error._tag === "PlanInvalid") {
            assert.strictEqual(error.manager, "manager")
            assert.strictEqual(error.output, replies[i])
            assert.include(error.message, issue)
          }
        }
        assert.lengthOf(yield* coder.received, 0)
      })
    ))

  it.effect("a plan naming an unknown team fails with UnknownTeam before any team runs", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* manager(plan(["build", "code"], ["marketing", "launch it"]))
        const coder = yield* recording("coder", () => "done")
        const error = yield* Effect.flip(Hierarchical.make({ name: "project", manager: "manager", teams: { build: ["coder"], qa: ["coder"] } }).execute(Message.make("t")))
        assert.strictEqual(error._tag, "UnknownTeam")
        if (error._tag === "UnknownTeam") {
          assert.strictEqual(error.team, "marketing")
          assert.deepStrictEqual(error.teams, ["build", "qa"])
          assert.include(error.message, `"marketing"`)
        }
        assert.lengthOf(yield* coder.received, 0)
      })
    ))

  it.effect("maxDepth (default 3) stops a pattern nested too deep, with the path, before its manager is asked", () =>
    withRuntime(
      Effect.gen(function* () {
        const boss = yield* manager(plan(["self", "recurse"]))
        // A team whose only member is the pattern itself: each level nests one deeper.
        const recursive = Hierarchical.make({ name: "recursive", manager: "manager", teams: { self: ["recursive"] } })
        yield* AgentRuntime.register(recursive)
        const error = yield* Effect.flip(recursive.execute(Message.make("t")))
        assert.strictEqual(error._tag, "MaxDepthExceeded")
        if (error._tag === "MaxDepthExceeded") {
          assert.strictEqual(error.maxDepth, 3)
          assert.deepStrictEqual(error.path, ["recursive", "recursive", "recursive", "recursive"])
          assert.include(error.message, "depth 4")
        }
        assert.lengthOf(yield* boss.received, 3, "the fourth level never asked its manager")
      })
    ))

  it.effect("maxDepth counts the enclosing patterns: maxDepth 1 fails when nested in another pattern", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* recording("manager", (input) => (input.metadata["stage"] === "plan" ? plan(["inner", "go"]) : "final"))
        yield* recording("coder", () => "done")
        yield* AgentRuntime.register(Hierarchical.make({ name: "shallow", manager: "manager", teams: { inner: ["coder"] }, maxDepth: 1 }))
        const alone = yield* AgentRuntime.call("shallow", Message.make("t"))
        assert.strictEqual(alone.payload, "final")
        const outer = Hierarchical.make({ name: "outer", manager: "manager", teams: { inner: ["shallow"] } })
        const error = yield* Effect.flip(outer.execute(Message.make("t")))
        assert.strictEqual(error._tag, "MaxDepthExceeded")
        if (error._tag === "MaxDepthExceeded") assert.deepStrictEqual(error.path, ["outer", "shallow"])
      })
    ))

  it.effect("stepTimeout bounds a worker's call; timeout the whole run", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* manager(plan(["build", "code"]))
        yield* slowWorker("coder")
        const options = { manager: "manager", teams: { build: ["coder"] } }
        const stepped = yield* Effect.fork(Hierarchical.make({ name: "p1", ...options, stepTimeout: "500 millis" }).execute(Message.make("t")))
        const whole = yield* Effect.fork(Hierarchical.make({ name: "p2", ...options, timeout: "500 millis" }).execute(Message.make("t")))
        yield* TestClock.adjust("500 millis")
        const stepError = yield* Effect.flip(Fiber.join(stepped))
        assert.strictEqual(stepError._tag, "CallTimeout")
        assert.strictEqual((yield* Effect.flip(Fiber.join(whole)))._tag, "PatternTimeout")
      })
    ))

  it.effect("stepRetry and retry recover from a transiently failing worker", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* manager(plan(["build", "code"]))
        const calls = yield* Ref.make(0)
        yield* AgentRuntime.register(
          Agent.make({
            name: "coder",
            execute: (m) =>
              Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (n) =>
                n % 2 === 0 ? Effect.fail(new ProviderUnavailable({ provider: "p", message: "down" })) : Effect.succeed(Message.reply(m, "ok"))
              )
          })
        )
        const options = { manager: "manager", teams: { build: ["coder"] } }
        yield* Hierarchical.make({ name: "p1", ...options, stepRetry: Schedule.recurs(1) }).execute(Message.make("t"))
        yield* Hierarchical.make({ name: "p2", ...options, retry: Schedule.recurs(1) }).execute(Message.make("t"))
        assert.strictEqual(yield* Ref.get(calls), 4)
      })
    ))

  it.effect("interrupting the caller interrupts every worker in flight, in every team", () =>
    withRuntime(
      Effect.gen(function* () {
        yield* manager(plan(["research", "read"], ["build", "code"]))
        const a = yield* hangingProbe("analyst")
        const b = yield* hangingProbe("coder")
        yield* assertInterruptsSteps(
          Hierarchical.make({ name: "project", manager: "manager", teams: { research: ["analyst"], build: ["coder"] } }).execute(Message.make("t")),
          [a, b]
        )
      })
    ))

  it.effect("puts the assignments and the depth on the pattern span", () => {
    const exporter = new Telemetry.InMemorySpanExporter()
    return withRuntime(
      Effect.gen(function* () {
        yield* manager(plan(["build", "code"]))
        yield* recording("coder", () => "done")
        yield* Hierarchical.make({ name: "project", manager: "manager", teams: { build: ["coder"] } }).execute(Message.make("t"))
        const span = spanNamed(exporter, "pattern.hierarchical project")
        assert.strictEqual(span.attributes["aixfx.hierarchical.assignments"], JSON.stringify([{ team: "build", task: "code" }]))
        assert.strictEqual(span.attributes["aixfx.hierarchical.depth"], 1)
        assert.includeMembers(exporter.getFinishedSpans().map((s) => s.name), ["step project.plan", "step project.team.build.coder", "step project.synthesize"])
      })
    ).pipe(Effect.provide(Telemetry.layerMemory(exporter)))
  })
})
