// Four test projects. "workers": tests inside workerd through @cloudflare/vitest-plugin, with the real
// bindings from wrangler.toml (D1, KV, Durable Objects, Queues); providers are faked at the HTTP
// boundary by the Node server in test/fake/, started by test/global-setup.ts. "webhooks": the same
// with webhooks on (test/webhooks/). "migrations": the same without migrations applied beforehand
// (test/migrations/ applies them itself). "node": Node-side tests (the fake server itself, the
// scaffold generator).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { readdirSync } from "node:fs";
import { defineConfig } from "vitest/config";
import { TEST_BINDINGS, WEBHOOK_TEST_BINDINGS } from "./test/bindings.ts";

const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);

/**
 * Every provider's variables, pointed at the fake provider server (test/fake/) on `port`: Xero,
 * Gusto and QuickBooks at their look-alikes, any other provider folder in src/providers/ (e.g. a
 * scaffolded one) at the fake's generic OAuth server `/generic/<name>`.
 */
function fakeProviderBindings(port: number): Record<string, string> {
  const base = `http://127.0.0.1:${port}`;
  const generic: Record<string, string> = {};
  for (const entry of readdirSync(new URL("./src/providers", import.meta.url), { withFileTypes: true })) {
    if (!entry.isDirectory() || ["xero", "gusto", "quickbooks"].includes(entry.name)) continue;
    const name = entry.name;
    const prefix = name.toUpperCase();
    Object.assign(generic, {
      [`${prefix}_CLIENT_ID`]: `${name}-client`,
      [`${prefix}_CLIENT_SECRET`]: `${name}-secret`,
      [`${prefix}_AUTHORIZE_URL`]: `${base}/generic/${name}/authorize`,
      [`${prefix}_TOKEN_URL`]: `${base}/generic/${name}/token`,
      [`${prefix}_REVOKE_URL`]: `${base}/generic/${name}/revoke`,
      [`${prefix}_API_BASE_URL`]: `${base}/generic/${name}/api`,
    });
  }
  return {
    ...generic,
    XERO_CLIENT_ID: "xero-client",
    XERO_CLIENT_SECRET: "xero-secret",
    XERO_AUTHORIZE_URL: `${base}/xero/authorize`,
    XERO_TOKEN_URL: `${base}/xero/token`,
    XERO_REVOKE_URL: `${base}/xero/revoke`,
    XERO_API_BASE_URL: `${base}/xero/api`,
    GUSTO_CLIENT_ID: "gusto-client",
    GUSTO_CLIENT_SECRET: "gusto-secret",
    GUSTO_AUTHORIZE_URL: `${base}/gusto/oauth/authorize`,
    GUSTO_TOKEN_URL: `${base}/gusto/oauth/token`,
    GUSTO_REVOKE_URL: `${base}/gusto/oauth/revoke`,
    GUSTO_API_BASE_URL: `${base}/gusto/api`,
    QUICKBOOKS_CLIENT_ID: "quickbooks-client",
    QUICKBOOKS_CLIENT_SECRET: "quickbooks-secret",
    QUICKBOOKS_AUTHORIZE_URL: `${base}/quickbooks/oauth2`,
    QUICKBOOKS_TOKEN_URL: `${base}/quickbooks/oauth2/v1/tokens/bearer`,
    QUICKBOOKS_REVOKE_URL: `${base}/quickbooks/oauth2/v1/tokens/revoke`,
    QUICKBOOKS_API_BASE_URL: `${base}/quickbooks/api`,
  };
}

/**
 * A project running `include` inside workerd with the worker's bindings and the fake providers;
 * `extra` bindings go on top (`port` is the fake server's).
 */
export function workersProject(
  name: string,
  include: string[],
  exclude: string[] = [],
  extra: (port: number) => Record<string, string> = () => ({}),
  setupFiles: string[] = ["./test/setup.ts"],
) {
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            ...TEST_BINDINGS,
            ...fakeProviderBindings(inject("fakePort")),
            ...extra(inject("fakePort")),
            TEST_MIGRATIONS: migrations,
          },
        },
      })),
    ],
    test: {
      name,
      include,
      exclude,
      setupFiles,
      globalSetup: ["./test/global-setup.ts"],
      testTimeout: 20_000,
      hookTimeout: 30_000,
      deps: {
        optimizer: { ssr: { enabled: true, include: ["zod", "drizzle-orm", "hono", "standardwebhooks"] } },
      },
    },
  };
}

/** Tests at the top of test/ that read the source tree, so they run in Node. */
const NODE_TESTS = ["test/architecture.test.ts"];

export default defineConfig({
  test: {
    projects: [
      workersProject("workers", ["test/*.test.ts"], NODE_TESTS),
      // Webhooks on, delivered to the fake server's receiver; everywhere else they are off.
      workersProject("webhooks", ["test/webhooks/*.test.ts"], [], (port) => ({
        ...WEBHOOK_TEST_BINDINGS,
        WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/receive`,
      })),
      // Migrations applied by the test itself, to a database filled under an earlier schema.
      workersProject("migrations", ["test/migrations/*.test.ts"], [], () => ({}), []),
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts", ...NODE_TESTS],
          testTimeout: 120_000,
        },
      },
    ],
  },
});
