/**
 * Runs before every test file.
 *
 * Hermetic tests: whatever the machine's environment holds, no test reads its provider keys, model
 * choice, telemetry destinations or Langfuse keys. A test that needs one sets it itself.
 *
 * Fresh modules: the default suite runs its files one after another in a shared worker process
 * (vitest.config.ts), so each file gets the workspace's sources and the test fixtures evaluated
 * anew, as in a process of its own; only node_modules stay loaded (Node caches them).
 */
import { vi } from "vitest"

const MACHINE_SETTINGS =
  /^(?:OPENAI|ANTHROPIC|OLLAMA|VLLM|LMSTUDIO|LANGFUSE|OTEL)_|^AIXFX_(?:MODEL|CAPTURE_CONTENT|CAPTURE_MAX_LENGTH)$|^(?:CHEAP|EXPENSIVE)_MODEL$/

for (const name of Object.keys(process.env)) {
  if (MACHINE_SETTINGS.test(name)) delete process.env[name]
}

vi.resetModules()
