/**
 * A temporary folder per test file, also used as TMPDIR: LanceDB 0.37 leaves a `.tmpXXXXXX` folder
 * in TMPDIR per vector index build, so pointing TMPDIR here lets the cleanup take those too.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"

// LanceDB's native logger reads this once, when it loads: keep its warnings (k-means on tiny test
// tables) out of the test output. Import this module before @aixfx/rag-lancedb.
process.env["LANCEDB_LOG"] ??= "error"

export const makeTempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `aixfx-${prefix}-`))
  const previous = process.env["TMPDIR"]
  process.env["TMPDIR"] = dir
  afterAll(() => {
    if (previous === undefined) delete process.env["TMPDIR"]
    else process.env["TMPDIR"] = previous
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}
