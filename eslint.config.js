// typescript-eslint with type information over every TypeScript file: the worker (tsconfig.json),
// its tests (test/tsconfig.json), the Node-side scripts (tsconfig.node.json, tsconfig.tools.json,
// tsconfig.openapi.json), the console's browser module (src/edge/console/browser/tsconfig.json) and
// the host-app client (client/tsconfig.json). Formatting is Prettier's job, not ESLint's.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      ".wrangler/",
      "**/dist/",
      "worker-configuration.d.ts",
      "eslint.config.js",
      // Built by `npm run mcp:build` (scripts/mcp-build.ts), minified.
      "src/edge/mcp/sdk.generated.js",
      // Type-checked as a consumer of the built client package, outside this repository (test/node/client-package.test.ts).
      "test/fixtures/client-consumer/",
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: [
          "./tsconfig.json",
          "./test/tsconfig.json",
          "./tsconfig.node.json",
          "./tsconfig.tools.json",
          "./tsconfig.openapi.json",
          "./src/edge/console/browser/tsconfig.json",
          "./client/tsconfig.json",
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // On Workers a dropped promise is a lost write: every promise is awaited, returned or handed to waitUntil.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
);
