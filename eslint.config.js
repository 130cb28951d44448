import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/dist/**", "**/build/**", "**/out/**", "**/.e2e-cache/**", "**/test-artifacts/**", "bench/.tmp/**"]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly", AbortController: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", fetch: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "require-yield": "off"
    }
  },
  {
    // The default suite shares a worker process between test files (vitest.config.ts), and
    // @effect/vitest's `layer` (0.30) assigns its methods onto the shared `it`: every later file's
    // it.effect would then run in that layer, on its clock.
    rules: {
      "no-restricted-imports": ["error", { paths: [{ name: "@effect/vitest", importNames: ["layer"], message: "it rewrites the `it` of later test files in the same worker; build shared resources in beforeAll (e.g. ManagedRuntime)" }] }],
      "no-restricted-syntax": ["error", { selector: "CallExpression[callee.object.name='it'][callee.property.name='layer']", message: "it.layer rewrites the `it` of later test files in the same worker; build shared resources in beforeAll (e.g. ManagedRuntime)" }]
    }
  }
)
