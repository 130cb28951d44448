import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
import { alias } from "./vitest.config.js"

// The pattern tests again, each test's body inside a durable run (part of `pnpm test:durable`): the
// patterns' test runtime module is swapped for the durable one.
const patternTests = fileURLToPath(new URL("./packages/patterns/test/", import.meta.url))
const durableRuntime = fileURLToPath(new URL("./packages/durable/test/patternRuntime.ts", import.meta.url))

export default defineConfig({
  resolve: { alias },
  plugins: [
    {
      name: "aixfx-durable-pattern-runtime",
      enforce: "pre",
      resolveId: (source, importer) => (source === "./runtime.js" && importer?.startsWith(patternTests) ? durableRuntime : null)
    }
  ],
  test: {
    include: [
      "packages/patterns/test/{Parallel,Router,Swarm,Rag,Reflection,Hierarchical,Ensemble,Nesting}.test.ts"
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    setupFiles: ["./vitest.setup.ts"],
    reporters: ["default", ["json", { outputFile: "build/vitest-durable-patterns-results.json" }]]
  }
})
