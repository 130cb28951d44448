/**
 * The Durable Runs view's data without processes: where the workspace's `aixfx` CLI is found, how
 * its output is read, which store is shown and when it changed. process/DurableRunsCli.test.ts
 * (`pnpm test:processes`) drives the real CLI on real runs.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { findDurableCli, parseRuns, storePath, storeSignature } from "../src/DurableRuns.js"

const repository = fileURLToPath(new URL("../../..", import.meta.url)).replace(/\/$/, "")
const dir = mkdtempSync(join(tmpdir(), "aixfx-durable-view-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("the workspace's aixfx CLI", () => {
  it("is found from a workflow's folder: its build with node, else its sources through the workspace's tsx", () => {
    const durable = join(repository, "examples", "node_modules", "@aixfx", "durable")
    // `tsc -b` (typecheck) builds dist/ in this repository; a fresh clone has only the sources.
    expect(findDurableCli([join(repository, "examples", "approval-workflow")], repository, existsSync)).toEqual(
      existsSync(join(durable, "dist", "bin.js"))
        ? { command: "node", args: [join(durable, "dist", "bin.js")] }
        : { command: join(repository, "node_modules", ".bin", "tsx"), args: ["--conditions=@aixfx/source", join(durable, "src", "bin.ts")] }
    )
    expect(findDurableCli(["/tmp"], "/tmp", existsSync)).toBeUndefined()
    // A built install runs with node, no tsx needed.
    const built = new Set(["/w/node_modules/@aixfx/durable/package.json", "/w/node_modules/@aixfx/durable/dist/bin.js"])
    expect(findDurableCli(["/w/app"], "/w", (path) => built.has(path))).toEqual({ command: "node", args: ["/w/node_modules/@aixfx/durable/dist/bin.js"] })
  })
})

describe("reading the CLI's output", () => {
  it("names what is wrong with output it does not understand", () => {
    expect(() => parseRuns("not json")).toThrow(/not JSON/)
    expect(() => parseRuns("{}")).toThrow(/not an array/)
    expect(() => parseRuns('[{"runId":"r","workflow":"w","status":"paused","awaiting":[],"error":null,"createdAt":1,"updatedAt":1}]')).toThrow(/unknown status paused/)
    expect(() => parseRuns('[{"runId":"r","workflow":"w","status":"done","error":null,"createdAt":1,"updatedAt":1}]')).toThrow(/no awaiting list/)
    expect(parseRuns("[]")).toEqual([])
  })
})

describe("the store", () => {
  it("is the setting, else $AIXFX_DB, else aixfx.db, relative to the workspace", () => {
    expect(storePath("", {}, "/w")).toBe("/w/aixfx.db")
    expect(storePath("", { AIXFX_DB: "runs/x.db" }, "/w")).toBe("/w/runs/x.db")
    expect(storePath(" /data/s.db ", { AIXFX_DB: "x.db" }, "/w")).toBe("/data/s.db")
  })

  it("changes signature when its file or its WAL changes, and has none when missing", () => {
    const file = join(dir, "sig.db")
    const stat = (path: string) => (existsSync(path) ? statSync(path) : undefined)
    expect(storeSignature(file, stat)).toBeUndefined()
    writeFileSync(file, "a")
    const first = storeSignature(file, stat)
    writeFileSync(`${file}-wal`, "bb")
    expect(storeSignature(file, stat)).not.toBe(first)
  })
})
