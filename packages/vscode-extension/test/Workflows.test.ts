import { describe, expect, it } from "vitest"
import { WorkflowLaunchError, launchCommand, makeWorkflow, runEnvironment, workflowName } from "../src/Workflows.js"

describe("Workflows", () => {
  it("names workflows after their folder (main.ts) or file", () => {
    expect(workflowName("examples/demo/main.ts")).toBe("demo")
    expect(workflowName("workflows/billing.mjs")).toBe("billing")
    expect(makeWorkflow("/ws", "examples/rag/main.ts")).toEqual({ name: "rag", path: "/ws/examples/rag/main.ts", relativePath: "examples/rag/main.ts", workspaceRoot: "/ws" })
  })

  it("runs TypeScript with the workspace's tsx and the source condition, JavaScript with node", () => {
    const ts = makeWorkflow("/ws", "examples/demo/main.ts")
    expect(launchCommand(ts, (path) => path === "/ws/node_modules/.bin/tsx")).toEqual({
      command: "/ws/node_modules/.bin/tsx",
      args: ["--conditions=@aixfx/source", "/ws/examples/demo/main.ts"]
    })
    expect(() => launchCommand(ts, () => false)).toThrow(WorkflowLaunchError)
    expect(launchCommand(makeWorkflow("/ws", "workflows/a.mjs"), () => false)).toEqual({ command: "node", args: ["/ws/workflows/a.mjs"] })
    expect(() => launchCommand(makeWorkflow("/ws", "workflows/a.py"), () => true)).toThrow(WorkflowLaunchError)
  })

  it("points the child's exporter at the run's receiver path and passes the capture setting", () => {
    const env = runEnvironment({ PATH: "/bin", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://elsewhere:4318/v1/traces" }, { endpoint: "http://127.0.0.1:4000/runs/r1", captureContent: true })
    expect(env).toMatchObject({
      PATH: "/bin",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4000/runs/r1",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4000/runs/r1/v1/traces",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      AIXFX_CAPTURE_CONTENT: "1",
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true"
    })
    expect(runEnvironment({}, { endpoint: "http://x", captureContent: false })["AIXFX_CAPTURE_CONTENT"]).toBe("0")
  })

  it("gives the child the durable run store the Durable Runs view shows", () => {
    expect(runEnvironment({ AIXFX_DB: "other.db" }, { endpoint: "http://x", captureContent: false, durableStore: "/ws/aixfx.db" })["AIXFX_DB"]).toBe("/ws/aixfx.db")
    expect(runEnvironment({ AIXFX_DB: "other.db" }, { endpoint: "http://x", captureContent: false })["AIXFX_DB"]).toBe("other.db")
  })
})
