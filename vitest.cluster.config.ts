import { defineConfig } from "vitest/config"
import { alias } from "./vitest.config.js"

// The Postgres-backed cluster suite (npx -y pnpm@10.34.9 test:cluster): real runner processes and
// a real Postgres (AIXFX_CLUSTER_PG_URL), so slow; .ci/run runs it as its own step.
export default defineConfig({
  resolve: { alias },
  test: {
    include: ["packages/cluster/test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "**/build/**"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
    reporters: ["default", ["json", { outputFile: "build/vitest-cluster-results.json" }]]
  }
})
