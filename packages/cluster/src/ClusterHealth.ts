/**
 * Health endpoints for an orchestrator (Kubernetes probes), on a port of their own:
 *   GET /healthz  200 while the runtime is up, 503 once it is shutting down (liveness)
 *   GET /readyz   200 when a request routed through the cluster comes back (readiness): the
 *                 storage answers and some runner serves the shard; 503 otherwise
 * Both answer with a small JSON body: the runner's address and how many shards it holds now.
 */
import { Effect, Layer, Runtime } from "effect"
import { createServer, type Server } from "node:http"
import { Node } from "./ClusterRuntime.js"

export interface Options {
  readonly host?: string
  readonly port: number
}

const listen = (server: Server, host: string, port: number) =>
  Effect.async<void, Error>((resume) => {
    server.once("error", (error) => resume(Effect.fail(error)))
    server.listen(port, host, () => resume(Effect.void))
  })

/** Serves /healthz and /readyz for the `Node` in context while the layer is up. */
export const layer = (options: Options): Layer.Layer<never, Error, Node> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const node = yield* Node
      const runtime = yield* Effect.runtime<never>()
      const check = (path: string | undefined) =>
        path === "/healthz" ? node.live : path === "/readyz" ? Effect.zipWith(node.live, node.ready(), (a, b) => a && b) : undefined
      const server = createServer((request, response) => {
        const probe = check(request.url)
        if (probe === undefined) {
          response.writeHead(404).end()
          return
        }
        Runtime.runPromise(runtime)(Effect.zip(probe, node.heldShards)).then(([ok, shards]) => {
          response.writeHead(ok ? 200 : 503, { "content-type": "application/json" })
          response.end(JSON.stringify({ ok, runner: node.address ?? null, shards }))
        })
      })
      yield* Effect.acquireRelease(listen(server, options.host ?? "127.0.0.1", options.port), () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
      )
    })
  )
