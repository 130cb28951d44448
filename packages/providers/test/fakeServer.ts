/**
 * A wire-compatible fake of the OpenAI (`/v1/chat/completions`, `/v1/embeddings`) and Anthropic
 * (`/v1/messages`) HTTP APIs on 127.0.0.1, answering from a queue of scripted replies, JSON or SSE.
 * The real SDKs talk to it through `baseURL`. It records every request and every connection the
 * client closed before the reply ended (what interrupting a call must do).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

export type Reply =
  | { readonly status?: number; readonly json: unknown; readonly headers?: Record<string, string> }
  | { readonly status: number; readonly raw: string; readonly headers?: Record<string, string> }
  /** Server-sent events; then `cut` destroys the socket, `hold` keeps it open, else it ends. */
  | { readonly sse: ReadonlyArray<{ readonly event?: string; readonly data: unknown }>; readonly cut?: boolean; readonly hold?: boolean }
  /** Never answers. */
  | { readonly hang: true }
  /** Answers from the request body (e.g. as many output tokens as the request allows). */
  | { readonly respond: (body: any) => Reply }

export interface Seen {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: any
}

export interface FakeServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly requests: ReadonlyArray<Seen>
  /** Replies to serve, in order, whatever the path. */
  readonly reply: (...replies: ReadonlyArray<Reply>) => void
  /** Connections the client closed before the reply ended. */
  readonly abortedCount: () => number
  /** Resolves once `n` requests have arrived (polls real time, so it works under TestClock). */
  readonly waitForRequests: (n: number) => Effect.Effect<void>
  readonly waitForAborted: (n: number) => Effect.Effect<void>
}

const pollUntil = (condition: () => boolean, what: string) =>
  Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now()
        const tick = () => {
          if (condition()) return resolve()
          if (Date.now() - started > 5_000) return reject(new Error(`fake server: timed out waiting for ${what}`))
          setTimeout(tick, 5)
        }
        tick()
      })
  )

export const make: Effect.Effect<FakeServer, never, Scope.Scope> = Effect.gen(function* () {
  const requests: Array<Seen> = []
  const queue: Array<Reply> = []
  let aborted = 0

  const send = (res: ServerResponse, reply: Reply) => {
    if ("hang" in reply) return
    if ("respond" in reply) return send(res, reply.respond(requests.at(-1)?.body))
    if ("sse" in reply) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": "req_sse" })
      for (const e of reply.sse) {
        const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data)
        res.write(`${e.event === undefined ? "" : `event: ${e.event}\n`}data: ${data}\n\n`)
      }
      // Let the written events reach the client before the cut.
      if (reply.cut === true) setTimeout(() => res.socket?.destroy(), 20)
      else if (reply.hold !== true) res.end()
      return
    }
    const headers = { "x-request-id": `req_${requests.length}`, "request-id": `req_${requests.length}`, ...reply.headers }
    if ("raw" in reply) {
      res.writeHead(reply.status, { "content-type": "application/json", ...headers })
      res.end(reply.raw)
      return
    }
    res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...headers })
    res.end(JSON.stringify(reply.json))
  }

  const server = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => (body += chunk.toString()))
    req.on("end", () => {
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: body.length > 0 ? JSON.parse(body) : undefined })
      res.on("close", () => {
        if (!res.writableFinished) aborted++
      })
      const reply = queue.shift()
      send(res, reply ?? { status: 500, json: { error: { message: `fake server: no scripted reply for ${req.method} ${req.url}` } } })
    })
  })

  yield* Effect.acquireRelease(
    Effect.async<void>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.void))
    }),
    () =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => void queue.push(...replies),
    abortedCount: () => aborted,
    waitForRequests: (n) => pollUntil(() => requests.length >= n, `${n} requests`),
    waitForAborted: (n) => pollUntil(() => aborted >= n, `${n} aborted connections`)
  }
})

// ---- wire bodies -------------------------------------------------------------------------------
export const openAiCompletion = (options: {
  readonly text?: string | null
  readonly toolCalls?: ReadonlyArray<{ readonly id: string; readonly name: string; readonly arguments: string }>
  readonly finish?: string
  readonly model?: string
  readonly usage?: { readonly prompt: number; readonly completion: number; readonly cached?: number; readonly reasoning?: number }
}) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: options.model ?? "gpt-4o-mini-2024-07-18",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: options.text ?? null,
        refusal: null,
        ...(options.toolCalls === undefined
          ? {}
          : { tool_calls: options.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) })
      },
      finish_reason: options.finish ?? (options.toolCalls === undefined ? "stop" : "tool_calls"),
      logprobs: null
    }
  ],
  usage: openAiUsage(options.usage ?? { prompt: 10, completion: 5 })
})

export const openAiUsage = (u: { readonly prompt: number; readonly completion: number; readonly cached?: number; readonly reasoning?: number }) => ({
  prompt_tokens: u.prompt,
  completion_tokens: u.completion,
  total_tokens: u.prompt + u.completion,
  prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
  completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0 }
})

export const openAiChunk = (delta: Record<string, unknown>, finish: string | null = null, model = "gpt-4o-mini-2024-07-18") => ({
  data: { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] }
})

export const anthropicMessage = (options: {
  readonly content: ReadonlyArray<Record<string, unknown>>
  readonly stop?: string
  readonly model?: string
  readonly usage?: { readonly input: number; readonly output: number; readonly cacheRead?: number; readonly cacheWrite?: number }
}) => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: options.model ?? "claude-sonnet-4-5-20250929",
  content: options.content,
  stop_reason: options.stop ?? "end_turn",
  stop_sequence: null,
  usage: {
    input_tokens: options.usage?.input ?? 10,
    output_tokens: options.usage?.output ?? 5,
    cache_read_input_tokens: options.usage?.cacheRead ?? 0,
    cache_creation_input_tokens: options.usage?.cacheWrite ?? 0
  }
})
