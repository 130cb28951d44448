import { assert, describe, it } from "@effect/vitest"

// With these set on the machine (`OPENAI_API_KEY=sk-bogus pnpm test`), the suite must still run offline.
const MACHINE_SETTINGS = [
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "AIXFX_MODEL",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_SERVICE_NAME",
  "LANGFUSE_PUBLIC_KEY",
  "LANGFUSE_SECRET_KEY",
  "LANGFUSE_BASE_URL"
]

describe("the test environment", () => {
  it("holds none of the machine's provider keys, model choice or telemetry destinations", () => {
    assert.deepStrictEqual(MACHINE_SETTINGS.filter((name) => process.env[name] !== undefined), [])
  })
})
