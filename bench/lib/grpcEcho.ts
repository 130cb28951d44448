/**
 * The two gRPC echo services the distributed benchmark compares, each run as its own process:
 * `bare` is @grpc/grpc-js serving aixfx's published AgentService.Execute with a handler that
 * returns the request's message; `aixfx` is a DistributedRuntime node hosting a no-op agent.
 * Both bind 127.0.0.1 on a free port, print `READY <host:port>`, and exit when stdin closes (so
 * they never outlive the benchmark).
 */
import * as grpc from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import { Agent, AgentRuntime, DistributedRuntime } from "@aixfx/core"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"

/** core's published .proto files, loaded with the options core's own codec uses. */
const protoDir = fileURLToPath(new URL("../../packages/core/proto/", import.meta.url))

export const loadAgentService = (): grpc.ServiceDefinition => {
  const definition = protoLoader.loadSync("aixfx/agent/v1/agent.proto", {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protoDir]
  })
  return definition["aixfx.agent.v1.AgentService"] as grpc.ServiceDefinition
}

const serveBare = async (): Promise<string> => {
  const server = new grpc.Server()
  server.addService(loadAgentService(), {
    Execute: (call: grpc.ServerUnaryCall<{ message: unknown }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
      callback(null, { message: call.request.message })
  })
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)))
  )
  return `127.0.0.1:${port}`
}

const serveAixfx = (): Promise<string> =>
  new Promise((resolve, reject) => {
    Effect.runFork(
      Effect.gen(function* () {
        yield* AgentRuntime.register(Agent.fromFunction("echo", (input) => input))
        const node = yield* DistributedRuntime.Node
        resolve(node.endpoint ?? "")
        return yield* Effect.never
      }).pipe(Effect.provide(DistributedRuntime.layer({ listen: "127.0.0.1:0" })), Effect.tapErrorCause((cause) => Effect.sync(() => reject(cause))))
    )
  })

const main = async () => {
  const mode = process.argv[2]
  if (mode !== "bare" && mode !== "aixfx") throw new Error(`usage: grpcEcho.ts bare|aixfx (got "${mode}")`)
  const endpoint = mode === "bare" ? await serveBare() : await serveAixfx()
  process.stdin.on("end", () => process.exit(0))
  process.stdin.resume()
  process.stdout.write(`READY ${endpoint}\n`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
