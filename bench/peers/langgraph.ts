/**
 * LangGraph.js, the way its docs show these workflows: the fan-out is map-reduce with `Send` (one
 * worker node per item, results merged by a reducer), the router a classify node and a conditional
 * edge. Every node calls a `FakeListChatModel` (LangChain's fake for tests) with the latency.
 */
import { FakeListChatModel } from "@langchain/core/utils/testing"
import { Annotation, END, Send, START, StateGraph } from "@langchain/langgraph"
import { answerOf, classify, type Peer } from "./workloads.js"

const FanOutState = Annotation.Root({
  tasks: Annotation<ReadonlyArray<string>>(),
  results: Annotation<ReadonlyArray<string>>({ reducer: (a, b) => [...a, ...b], default: () => [] })
})

const RouterState = Annotation.Root({
  input: Annotation<string>(),
  route: Annotation<string>(),
  answer: Annotation<string>()
})

const text = (content: unknown): string => (typeof content === "string" ? content : JSON.stringify(content))

export const langgraph: Peer = {
  name: "LangGraph.js",
  fanOut: async (n, latencyMs) => {
    const model = new FakeListChatModel({ responses: ["done"], sleep: latencyMs })
    const graph = new StateGraph(FanOutState)
      .addNode("worker", async (state: { task: string }) => ({ results: [text((await model.invoke(state.task)).content)] }))
      .addConditionalEdges(START, (state) => state.tasks.map((task, i) => new Send("worker", { task: `${task} ${i}` })))
      .addEdge("worker", END)
      .compile()
    const tasks = Array.from({ length: n }, () => "task")
    return {
      run: async (input) => (await graph.invoke({ tasks: tasks.map(() => input) }, { recursionLimit: n + 10 })).results,
      close: async () => {}
    }
  },
  router: async () => {
    // FakeListChatModel answers from a list whatever it is asked, so the classifier's list follows the
    // benchmark's alternating inputs; the benchmark checks every answer.
    const classifier = new FakeListChatModel({ responses: [classify("invoice"), classify("crash")] })
    const billing = new FakeListChatModel({ responses: [answerOf("billing")] })
    const tech = new FakeListChatModel({ responses: [answerOf("tech")] })
    const graph = new StateGraph(RouterState)
      .addNode("classify", async (state) => ({ route: text((await classifier.invoke(state.input)).content) }))
      .addNode("billing", async (state) => ({ answer: text((await billing.invoke(state.input)).content) }))
      .addNode("tech", async (state) => ({ answer: text((await tech.invoke(state.input)).content) }))
      .addEdge(START, "classify")
      .addConditionalEdges("classify", (state) => (state.route === "billing" ? "billing" : "tech"), ["billing", "tech"])
      .addEdge("billing", END)
      .addEdge("tech", END)
      .compile()
    return { run: async (input) => [(await graph.invoke({ input })).answer], close: async () => {} }
  }
}
