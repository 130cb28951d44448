/**
 * Which files are workflows and how to run one. The convention: every `examples/<name>/main.ts`
 * and every file in a `workflows/` folder (`.ts`, `.mts`, `.mjs`, `.js`) is a runnable workflow;
 * the `aixfx.workflows.globs` setting replaces that list.
 */
import { basename, dirname, extname, join } from "node:path"

export const DEFAULT_GLOBS: ReadonlyArray<string> = ["examples/*/main.ts", "**/workflows/*.{ts,mts,mjs,js}"]
export const EXCLUDE_GLOB = "**/{node_modules,dist,build,.git}/**"

export interface Workflow {
  readonly name: string
  readonly path: string
  /** Relative to its workspace folder, `/`-separated. */
  readonly relativePath: string
  readonly workspaceRoot: string
}

/** `examples/demo/main.ts` → `demo`; `workflows/billing.mjs` → `billing`. */
export const workflowName = (relativePath: string): string => {
  const file = basename(relativePath, extname(relativePath))
  return file === "main" || file === "index" ? basename(dirname(relativePath)) || file : file
}

export const makeWorkflow = (workspaceRoot: string, relativePath: string): Workflow => ({
  name: workflowName(relativePath),
  path: join(workspaceRoot, relativePath),
  relativePath,
  workspaceRoot
})

export interface LaunchCommand {
  readonly command: string
  readonly args: ReadonlyArray<string>
}

export class WorkflowLaunchError extends Error {
  override readonly name = "WorkflowLaunchError"
}

/**
 * TypeScript runs through the workspace's own tsx (with the `@aixfx/source` condition, so workspace
 * packages resolve to their sources); JavaScript through node.
 */
export const launchCommand = (workflow: Workflow, exists: (path: string) => boolean): LaunchCommand => {
  const extension = extname(workflow.path)
  if (extension === ".mjs" || extension === ".js" || extension === ".cjs") return { command: "node", args: [workflow.path] }
  if (extension === ".ts" || extension === ".mts" || extension === ".cts") {
    const tsx = join(workflow.workspaceRoot, "node_modules", ".bin", "tsx")
    if (!exists(tsx)) throw new WorkflowLaunchError(`${workflow.relativePath} is TypeScript but ${tsx} is missing; install tsx in the workspace`)
    return { command: tsx, args: ["--conditions=@aixfx/source", workflow.path] }
  }
  throw new WorkflowLaunchError(`don't know how to run ${workflow.relativePath}`)
}

export interface RunEnvOptions {
  /** The receiver address for this run (exporters append `/v1/traces`). */
  readonly endpoint: string
  readonly captureContent: boolean
  /** The durable run store the Durable Runs view shows: runs started here keep their durable state there. */
  readonly durableStore?: string
}

/** The child's environment: its spans go to the extension's receiver, promptly. */
export const runEnvironment = (base: NodeJS.ProcessEnv, options: RunEnvOptions): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...base }
  // A signal-specific endpoint would win over the generic one; point it at the receiver too.
  env["OTEL_EXPORTER_OTLP_ENDPOINT"] = options.endpoint
  env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = `${options.endpoint}/v1/traces`
  // aixfx posts each span as it starts here too, so the views show what is running now.
  env["AIXFX_SPAN_STARTS_URL"] = `${options.endpoint}/v1/traces`
  // SDKs that default to gRPC switch to OTLP/HTTP; the JS HTTP exporter sends JSON regardless.
  env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
  env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf"
  env["OTEL_TRACES_EXPORTER"] = "otlp"
  // Batches every 200 ms instead of 5 s, so spans appear while the run goes on.
  env["OTEL_BSP_SCHEDULE_DELAY"] = "200"
  env["AIXFX_CAPTURE_CONTENT"] = options.captureContent ? "1" : "0"
  env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = options.captureContent ? "true" : "false"
  if (options.durableStore !== undefined) env["AIXFX_DB"] = options.durableStore
  env["FORCE_COLOR"] = env["FORCE_COLOR"] ?? "1"
  return env
}
