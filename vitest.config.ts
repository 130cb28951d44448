import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources, so tests never need a build first.
const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url))

export const alias = [
  { find: /^@aixfx\/(core|patterns|providers|rag-lancedb|durable|mcp|cluster)$/, replacement: `${packagesDir}$1/src/index.ts` },
  // Per-module entry points (`@aixfx/core/Agent`), as the packages' `exports` map them.
  { find: /^@aixfx\/(core|patterns|providers|rag-lancedb|durable|mcp|cluster)\/([A-Z]\w*)$/, replacement: `${packagesDir}$1/src/$2.ts` }
]

/**
 * Tests that start real processes with tsx (fresh node processes importing the sources, examples run
 * as a user runs them, the durable CLI) or signal them (SIGTERM, SIGSTOP): each takes seconds to tens
 * of seconds, so they are `pnpm test:processes` (vitest.processes.config.ts, its own step in .ci/run),
 * not the default suite.
 */
export const processTests = [
  "packages/core/test/process/**/*.test.ts",
  "packages/vscode-extension/test/process/**/*.test.ts",
  "examples/shared/process/**/*.test.ts"
]

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    exclude: [
      "**/node_modules/**",
      "**/dist/**",
      "**/build/**",
      "packages/vscode-extension/test/e2e/**",
      // Needs Postgres and runner processes: its own script (`test:cluster`), not the default suite.
      "packages/cluster/test/**",
      ...processTests,
      // Real processes killed and restarted: their own script (`test:durable`), not the default suite.
      ...(process.env["AIXFX_DURABLE_PROCESS_TESTS"] === "1" ? [] : ["packages/durable/test/process/**"])
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Test files share their worker process instead of a fresh one each: importing effect, gRPC and
    // the OpenTelemetry SDK again for every file took most of the suite's time. Process-wide state
    // therefore outlives a file: Effect's metric registry, and @effect/vitest's `layer`, which lint
    // forbids for that reason (eslint.config.js).
    poolOptions: { forks: { isolate: false } },
    // Workers: vitest's default, one fewer than the cores (one on 2 cores). Two on 2 cores measured slower
    // (202 s against 186 s): the tests' own child processes and servers need the other core.
    // Clears the machine's provider keys, model and telemetry settings in every test process.
    setupFiles: ["./vitest.setup.ts"],
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", ["json", { outputFile: "build/vitest-results.json" }]]
  }
})
