/**
 * MCP tools: an agent answers a question about a directory with the tools of the reference
 * filesystem MCP server (`@modelcontextprotocol/server-filesystem`, started as a child process on a
 * temp directory, only `list_directory` and `read_text_file` allowed). With a real model configured
 * (see examples/shared/model.ts), that model decides which tools to call; offline, a scripted model
 * makes the calls (list, then read every file) and quotes what the tools returned.
 */
import { LanguageModel, LocalHeuristicModel, Message } from "@aixfx/core"
import { McpClient } from "@aixfx/mcp"
import { ScriptedModel } from "@aixfx/providers"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { Console, Effect } from "effect"
import { isMain, runExample } from "../shared/run.js"

const filesystemServer = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js")

const notes: Record<string, string> = {
  "standup.txt": "The MCP client ships on Friday.",
  "risks.txt": "The stdio server may crash; the client restarts it on the next call."
}

/** What the model does offline: list the directory, read each file it lists, then quote them. */
const offlineToolUser = (dir: string) =>
  ScriptedModel.layer({
    reply: (request, index) => {
      const results = request.messages.filter((m) => m.role === "tool").map((m) => m.content)
      if (index === 0) return { toolCalls: [{ id: "list", name: "list_directory", arguments: JSON.stringify({ path: dir }) }] }
      if (index === 1) {
        const files = [...(results[0] ?? "").matchAll(/\[FILE\] (\S+)/g)].map((m) => m[1]!)
        return {
          toolCalls: files.map((file) => ({ id: `read-${file}`, name: "read_text_file", arguments: JSON.stringify({ path: path.join(dir, file) }) }))
        }
      }
      return results.slice(1).join("\n")
    }
  })

export const mcpTools = Effect.gen(function*() {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "aixfx-mcp-tools-")))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  for (const [name, text] of Object.entries(notes)) fs.writeFileSync(path.join(dir, name), `${text}\n`)

  const filesystem = yield* McpClient.make({
    name: "filesystem",
    transport: McpClient.stdio(process.execPath, [filesystemServer, dir]),
    allow: ["list_directory", "read_text_file"]
  })
  yield* Console.log(`MCP server "filesystem" offers: ${(yield* filesystem.tools).map((t) => t.name).join(", ")}`)

  const librarian = McpClient.llm({
    name: "librarian",
    instructions: `Answer from the files in ${dir}: list the directory, read the files, quote what they say.`,
    mcp: [filesystem]
  })
  const question = Message.make(`What do the notes in ${dir} say?`)
  const model = yield* LanguageModel.LanguageModel
  const reply = yield* model.defaultModel === LocalHeuristicModel.MODEL
    ? Effect.provide(librarian.execute(question), offlineToolUser(dir))
    : librarian.execute(question)
  yield* Console.log(`\n${reply.payload}\n`)
  return reply.payload
}).pipe(Effect.scoped)

if (isMain(import.meta.url)) {
  runExample("mcp-tools", mcpTools).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
