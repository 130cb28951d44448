/**
 * 5. Peers, same workloads, same run: the fan-out (N agents × 50 ms) and a router (classify →
 * one of two agents, zero latency) in aixfx, LangGraph.js and the OpenAI Agents SDK, each on a
 * scripted model and each written the way its own docs show.
 */
import type { Benchmark } from "./lib/Benchmark.js"
import { median, ratio, round, wallMs } from "./lib/measure.js"
import { aixfx } from "./peers/aixfx.js"
import { langgraph } from "./peers/langgraph.js"
import { openaiAgents } from "./peers/openaiAgents.js"
import { answerOf, classify, type Peer, ROUTER_INPUTS, type Workload } from "./peers/workloads.js"

const LATENCY_MS = 50
const PEERS: ReadonlyArray<Peer> = [aixfx, langgraph, openaiAgents]

const using = async <A>(build: Promise<Workload>, use: (workload: Workload) => Promise<A>): Promise<A> => {
  const workload = await build
  try {
    return await use(workload)
  } finally {
    await workload.close()
  }
}

const fanOutMs = (peer: Peer, n: number, rounds: number) =>
  using(peer.fanOut(n, LATENCY_MS), async (workload) => {
    const once = async () => {
      const { ms, value } = await wallMs(() => workload.run("task"))
      if (value.length !== n || value.some((answer) => answer !== "done")) {
        throw new Error(`${peer.name} fan-out over ${n}: expected ${n} "done" answers, got ${value.length} (${value.find((a) => a !== "done")})`)
      }
      return ms
    }
    if (rounds > 1) await once() // warm-up (quick mode runs once, cold)
    const walls: Array<number> = []
    for (let i = 0; i < rounds; i++) walls.push(await once())
    return median(walls)
  })

/** µs per routed request, sequential; every answer is checked against the route it should take. */
const routerUs = (peer: Peer, requests: number, rounds: number) =>
  using(peer.router(), async (workload) => {
    const batch = async () => {
      const { ms } = await wallMs(async () => {
        for (let i = 0; i < requests; i++) {
          const input = ROUTER_INPUTS[i % ROUTER_INPUTS.length]!
          const [answer] = await workload.run(input)
          if (answer !== answerOf(classify(input))) throw new Error(`${peer.name} router: "${input}" got "${answer}"`)
        }
      })
      return (ms * 1000) / requests
    }
    await batch() // warm-up
    const samples: Array<number> = []
    for (let i = 0; i < rounds; i++) samples.push(await batch())
    return median(samples)
  })

export const benchmark: Benchmark = {
  name: "peers",
  run: async ({ quick }) => {
    const rounds = quick ? 1 : 5
    const requests = quick ? 50 : 1000
    const rows: Array<Record<string, string | number>> = []
    const figures = new Map<string, { fan100: number; fan1000: number; router: number }>()
    for (const peer of PEERS) {
      figures.set(peer.name, {
        fan100: await fanOutMs(peer, 100, rounds),
        fan1000: await fanOutMs(peer, 1000, rounds),
        router: await routerUs(peer, requests, quick ? 1 : 3)
      })
    }
    const own = figures.get(aixfx.name)!
    for (const [name, f] of figures) {
      rows.push({
        framework: name,
        "fan-out 100 ms": round(f.fan100, 1),
        "fan-out 1,000 ms": round(f.fan1000, 1),
        "router µs/request": round(f.router, 1),
        "aixfx / this: fan-out 100": ratio(own.fan100, f.fan100),
        "fan-out 1,000": ratio(own.fan1000, f.fan1000),
        router: ratio(own.router, f.router)
      })
    }
    return {
      title: "5. Peers — the same workloads in aixfx, LangGraph.js and the OpenAI Agents SDK",
      rows,
      notes: [
        `Fan-out: N agents, each one model call that waits ${LATENCY_MS} ms, all at once; wall time, median of ${rounds} round(s)${rounds > 1 ? " after a warm-up" : ", cold"} (ideal ${LATENCY_MS} ms). aixfx: the Parallel pattern over N \`Agent.llm\` agents in a LocalRuntime. LangGraph: map-reduce with \`Send\` to a worker node calling \`FakeListChatModel\`. OpenAI Agents SDK: \`Promise.all\` of \`run(agent)\` over N agents with a scripted \`Model\`.`,
        `Router: ${requests.toLocaleString("en-US")} sequential requests alternating billing/tech, zero model latency, median of ${quick ? 1 : 3} round(s); each answer is checked. aixfx: the Router pattern (classifier agent → the route's agent). LangGraph: classify node + conditional edge. OpenAI Agents SDK: a triage agent handing off (two model calls, as in the others).`,
        "Ratios are aixfx time / the peer's time (below 1× means aixfx is faster). aixfx runs with no tracer installed; the SDK's tracing is disabled (it would otherwise export to OpenAI); LangGraph has no tracer configured.",
        "Every model is scripted and free of tokenizing on all three sides, so the figures measure the frameworks."
      ]
    }
  }
}
