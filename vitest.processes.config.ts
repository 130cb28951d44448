import { defineConfig } from "vitest/config"
import { alias, processTests } from "./vitest.config.js"

// The tests that start real processes (npx -y pnpm@10.34.9 test:processes): tsx-started nodes and
// programs, signals, the durable CLI. Slow, so .ci/run runs them as their own step.
export default defineConfig({
  resolve: { alias },
  test: {
    include: processTests,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    setupFiles: ["./vitest.setup.ts"],
    reporters: ["default", ["json", { outputFile: "build/vitest-processes-results.json" }]]
  }
})
