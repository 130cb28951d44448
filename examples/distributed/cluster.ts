/**
 * Starts nodes of the example as child processes (node with tsx's loader, so the PID is the node's
 * own) and kills each by its PID when the scope closes.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Data, Effect, type Scope } from "effect"
import type { NodeName } from "./agents.js"

export class NodeFailed extends Data.TaggedError("NodeFailed")<{ readonly node: string; readonly message: string }> {}

export interface RunningNode {
  readonly name: NodeName
  readonly pid: number
  readonly endpoint: string
}

const script = fileURLToPath(new URL("./node.ts", import.meta.url))
const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

export const startNode = (name: NodeName): Effect.Effect<RunningNode, NodeFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, ["--import", "tsx", "--conditions=@aixfx/source", script], {
          cwd: repoRoot,
          env: { ...process.env, NODE_NAME: name, PORT: "0" },
          stdio: ["ignore", "pipe", "inherit"]
        })
      ),
      (child) =>
        Effect.async<void>((resume) => {
          if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
          child.once("exit", () => resume(Effect.void))
          process.kill(child.pid!, "SIGTERM")
        })
    )
    const endpoint = yield* Effect.async<string, NodeFailed>((resume) => {
      let output = ""
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString()
        const ready = /READY (\S+)/.exec(output)
        if (ready !== null) resume(Effect.succeed(ready[1]!))
      })
      child.once("exit", (code) => resume(Effect.fail(new NodeFailed({ node: name, message: `node "${name}" exited with code ${code} before serving` }))))
    }).pipe(
      Effect.timeoutFail({
        duration: "90 seconds",
        onTimeout: () => new NodeFailed({ node: name, message: `node "${name}" did not start serving within 90 s` })
      })
    )
    return { name, pid: child.pid!, endpoint }
  })
