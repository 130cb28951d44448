/**
 * `node --import <this file> …` appends every URL the ESM loader resolves to the file named by
 * AIXFX_RECORD_IMPORTS, one per line, so a test can list which packages a program loaded.
 * The hook runs on the loader thread; it writes synchronously, so the list is complete the moment
 * an `await import(...)` returns.
 */
import { register } from "node:module"

const log = process.env["AIXFX_RECORD_IMPORTS"]
if (!log) throw new Error("record-imports: set AIXFX_RECORD_IMPORTS to the file that receives the resolved URLs")
register("./record-imports-hooks.mjs", import.meta.url, { data: { log } })
