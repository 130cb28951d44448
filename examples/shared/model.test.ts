import { assert, describe, it } from "@effect/vitest"
import { chooseModel } from "./model.js"

describe("chooseModel", () => {
  it("picks AIXFX_MODEL, then OpenAI, then Anthropic by key, else the offline model, and says which", () => {
    assert.match(chooseModel({}).banner, /^Model: local-heuristic-1 \(offline/)
    assert.match(chooseModel({ ANTHROPIC_API_KEY: "k" }).banner, /^Model: anthropic:claude-haiku-4-5 \(ANTHROPIC_API_KEY is set/)
    assert.match(chooseModel({ ANTHROPIC_API_KEY: "k", OPENAI_API_KEY: "k" }).banner, /^Model: openai:gpt-4o-mini \(OPENAI_API_KEY is set/)
    assert.match(chooseModel({ OPENAI_API_KEY: "k", OPENAI_MODEL: "gpt-4.1" }).banner, /^Model: openai:gpt-4\.1 /)
    assert.match(chooseModel({ OPENAI_API_KEY: "k", AIXFX_MODEL: "ollama:llama3.1" }).banner, /^Model: ollama:llama3\.1 \(from AIXFX_MODEL/)
    assert.notInclude(chooseModel({ OPENAI_API_KEY: "sk-secret" }).banner, "sk-secret")
  })
})
