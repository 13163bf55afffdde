// Lint rules for the whole tree: TypeScript, React hooks, and imports that form no cycles.
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "build/", "data/", "test-results/", "playwright-report/", "e2e/artifacts/", ".cache/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx,js}"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { "import-x": importX },
    settings: { "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })] },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-self-import": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  // Dependencies point one way (docs/decisions/0012-contracts-and-layers.md): the screen's views import nothing
  // from server/; app/contracts import nothing but themselves; server/ imports only app/contracts from app/;
  // nothing in the console imports the sandbox, which it reaches over HTTP.
  {
    files: ["**/*.{ts,tsx}"],
    rules: {
      "import-x/no-restricted-paths": [
        "error",
        {
          zones: [
            { target: "./app/components", from: "./server", message: "views get typed props from their route" },
            { target: "./app/contracts", from: "./server" },
            { target: "./app/contracts", from: "./app", except: ["./contracts"] },
            { target: "./server", from: "./app", except: ["./contracts"] },
            {
              target: ["./server/!(sandbox|testing)/**/*", "./server/*.ts"],
              from: "./server/sandbox",
              message: "the console reaches the sandbox over HTTP only",
            },
          ],
        },
      ],
    },
  },
  // React's rules where React runs (server-side helpers named use… are not hooks).
  {
    files: ["app/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
);
