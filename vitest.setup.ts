/**
 * Hermetic tests: whatever the machine's environment holds, no test reads its provider keys, model
 * choice, telemetry destinations or Langfuse keys. A test that needs one sets it itself.
 */
const MACHINE_SETTINGS =
  /^(?:OPENAI|ANTHROPIC|OLLAMA|VLLM|LMSTUDIO|LANGFUSE|OTEL)_|^AIXFX_(?:MODEL|CAPTURE_CONTENT|CAPTURE_MAX_LENGTH)$|^(?:CHEAP|EXPENSIVE)_MODEL$/

for (const name of Object.keys(process.env)) {
  if (MACHINE_SETTINGS.test(name)) delete process.env[name]
}
