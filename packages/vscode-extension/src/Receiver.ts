/**
 * The local OTLP/HTTP trace receiver: `POST /v1/traces` (any OpenTelemetry program) and
 * `POST /runs/<run id>/v1/traces` (a child process started by the extension, whose
 * OTEL_EXPORTER_OTLP_ENDPOINT names its run). `/v1/metrics` and `/v1/logs` are accepted and
 * dropped, so a run exporting them sees no errors. JSON and protobuf bodies, gzip or not. Binds
 * 127.0.0.1 only. A request is decoded whole before anything is handed on, so a malformed one
 * (400) or an oversized one (413) changes nothing.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { gunzipSync } from "node:zlib"
import { OtlpDecodeError, decodeTraceRequest } from "./OtlpDecode.js"
import { decodeTraceRequestProto } from "./OtlpProto.js"
import type { SpanRecord } from "./Span.js"

export interface ReceiverOptions {
  /** 0 picks a free port. */
  readonly port: number
  readonly maxBodyBytes: number
  readonly onSpans: (runId: string | undefined, spans: ReadonlyArray<SpanRecord>) => void
}

export interface Receiver {
  readonly port: number
  /** The base for OTEL_EXPORTER_OTLP_ENDPOINT (exporters append `/v1/traces`). */
  readonly endpoint: (runId?: string) => string
  readonly close: () => Promise<void>
}

const HOST = "127.0.0.1"
const ROUTE = /^\/(?:runs\/([A-Za-z0-9_.-]{1,100})\/)?v1\/(traces|metrics|logs)\/?$/

export const startReceiver = (options: ReceiverOptions): Promise<Receiver> =>
  new Promise((resolve, reject) => {
    const server = createServer((request, response) => handle(request, response, options))
    // Exporters keep connections alive; don't let an idle one hold the extension host open.
    server.keepAliveTimeout = 5_000
    server.once("error", reject)
    server.listen(options.port, HOST, () => {
      server.off("error", reject)
      const port = (server.address() as AddressInfo).port
      resolve({
        port,
        endpoint: (runId) => (runId === undefined ? `http://${HOST}:${port}` : `http://${HOST}:${port}/runs/${runId}`),
        close: () => close(server)
      })
    })
  })

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

const handle = (request: IncomingMessage, response: ServerResponse, options: ReceiverOptions): void => {
  const path = new URL(request.url ?? "/", `http://${HOST}`).pathname
  const route = ROUTE.exec(path)
  if (route === null) return reply(response, 404, "not found; POST spans to /v1/traces")
  if (request.method !== "POST") return reply(response, 405, "only POST is accepted")
  const contentType = (request.headers["content-type"] ?? "application/json").split(";")[0]!.trim().toLowerCase()
  const protobuf = contentType === "application/x-protobuf" || contentType === "application/protobuf"
  if (!protobuf && contentType !== "application/json") return reply(response, 415, `unsupported content type ${contentType}`)

  // Runs export metrics (and maybe logs) to the same endpoint; they are taken and dropped, not refused.
  if (route[2] !== "traces") return discard(request, response, protobuf)
  const declared = Number(request.headers["content-length"] ?? "0")
  if (declared > options.maxBodyBytes) return refuseTooLarge(request, response, options.maxBodyBytes)
  const chunks: Array<Buffer> = []
  let size = 0
  let refused = false
  request.on("data", (chunk: Buffer) => {
    if (refused) return
    size += chunk.length
    if (size > options.maxBodyBytes) {
      refused = true
      chunks.length = 0
      refuseTooLarge(request, response, options.maxBodyBytes)
    } else chunks.push(chunk)
  })
  request.on("end", () => {
    if (refused) return
    let spans: ReadonlyArray<SpanRecord>
    try {
      const body = inflate(Buffer.concat(chunks), request.headers["content-encoding"], options.maxBodyBytes)
      spans = protobuf ? decodeTraceRequestProto(body) : decodeTraceRequest(JSON.parse(body.toString("utf8")))
    } catch (error) {
      if (error instanceof TooLarge) return refuseTooLarge(request, response, options.maxBodyBytes)
      return reply(response, 400, error instanceof OtlpDecodeError || error instanceof SyntaxError ? error.message : "unreadable body")
    }
    options.onSpans(route[1], spans)
    // An empty ExportTraceServiceResponse: zero bytes in protobuf, `{}` in JSON.
    if (protobuf) {
      response.writeHead(200, { "content-type": "application/x-protobuf" }).end()
    } else response.writeHead(200, { "content-type": "application/json" }).end("{}")
  })
  request.on("error", () => response.destroy())
}

/** Reads the body to its end and answers an empty export response. */
const discard = (request: IncomingMessage, response: ServerResponse, protobuf: boolean): void => {
  request.resume()
  request.on("end", () => {
    if (protobuf) response.writeHead(200, { "content-type": "application/x-protobuf" }).end()
    else response.writeHead(200, { "content-type": "application/json" }).end("{}")
  })
}

class TooLarge extends Error {}

const inflate = (body: Buffer, encoding: string | Array<string> | undefined, max: number): Buffer => {
  if (encoding === undefined || encoding === "identity") return body
  if (encoding !== "gzip") throw new OtlpDecodeError(`unsupported content encoding ${String(encoding)}`)
  try {
    return gunzipSync(body, { maxOutputLength: max })
  } catch (error) {
    if (error instanceof RangeError) throw new TooLarge()
    throw new OtlpDecodeError("body is not valid gzip")
  }
}

/** Answers 413 at once, reads and discards the rest so the client sees the answer, then closes. */
const refuseTooLarge = (request: IncomingMessage, response: ServerResponse, max: number): void => {
  reply(response, 413, `request body exceeds ${max} bytes`, { connection: "close" })
  request.resume()
}

const reply = (response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void => {
  if (response.headersSent) return
  // google.rpc.Status in its JSON form; exporters act on the HTTP status alone.
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify({ code: status === 413 ? 8 : 3, message }))
}
