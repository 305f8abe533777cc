// Tests run inside workerd through @cloudflare/vitest-plugin, with the real bindings from
// wrangler.toml (D1, KV, Durable Objects, Queues). Providers are faked at the HTTP boundary by
// Node servers started in test/global-setup.ts.
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

/** Secrets and vars for tests; they override .dev.vars, which a fresh clone does not have. */
export const TEST_BINDINGS = {
  AUTH_JWT_SECRET: "test-jwt-secret-0123456789abcdef",
  TOKEN_ENCRYPTION_KEY: "test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: "",
  APP_ORIGIN: "https://app.example.test",
  PUBLIC_URL: "https://integrations.example.test",
};

// wrangler checks the required secrets in process.env before miniflare's bindings apply.
for (const name of ["AUTH_JWT_SECRET", "TOKEN_ENCRYPTION_KEY"] as const) process.env[name] ??= TEST_BINDINGS[name];

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: { bindings: { ...TEST_BINDINGS, TEST_MIGRATIONS: migrations } },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/node/**"],
    setupFiles: ["./test/setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    deps: { optimizer: { ssr: { enabled: true, include: ["zod", "drizzle-orm", "arctic", "hono"] } } },
  },
});
