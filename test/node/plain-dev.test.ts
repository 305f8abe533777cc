// Plain `wrangler dev`, as users run it, in a copy of the project holding only what wrangler needs:
// every provider setting comes from .dev.vars (no --var, nothing secret on a command line), and a
// missing required secret is named by a 503 rather than failing somewhere later.
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "hono/jwt";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_BINDINGS } from "../bindings.ts";
import { connectSandbox, runCron } from "./dev-flow.ts";
import { exampleVars, startDev } from "./dev-server.ts";
import { waitForFetch } from "./wait-for-fetch.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const copies: string[] = [];

/** A directory with the worker's sources, config and migrations, and the given .dev.vars. */
function projectWith(devVars: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "zebbra-plain-dev-"));
  copies.push(dir);
  for (const path of ["src", "public", "migrations", "wrangler.toml", "package.json", "tsconfig.json"])
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(
    join(dir, ".dev.vars"),
    Object.entries(devVars)
      .map(([name, value]) => `${name}=${value}`)
      .join("\n"),
  );
  return dir;
}

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

const secrets = {
  AUTH_JWT_SECRET: TEST_BINDINGS.AUTH_JWT_SECRET,
  TOKEN_ENCRYPTION_KEY: TEST_BINDINGS.TOKEN_ENCRYPTION_KEY,
};
// Production-like (no ENVIRONMENT): the settings a safe deploy needs besides the secrets.
const production = {
  AUTH_JWT_ISSUER: TEST_BINDINGS.AUTH_JWT_ISSUER,
  AUTH_JWT_AUDIENCE: TEST_BINDINGS.AUTH_JWT_AUDIENCE,
  APP_ORIGIN: TEST_BINDINGS.APP_ORIGIN,
};

describe("plain wrangler dev", () => {
  it("should load a provider configured only in .dev.vars", async () => {
    const cwd = projectWith({
      ...secrets,
      ...production,
      XERO_CLIENT_ID: "xero-from-dev-vars",
      XERO_CLIENT_SECRET: "xero-secret-from-dev-vars",
      XERO_API_BASE_URL: "http://127.0.0.1:9/xero/api",
    });
    const dev = await startDev({ cwd });
    try {
      const now = Math.floor(Date.now() / 1000);
      const jwt = await sign(
        {
          sub: "dev",
          iat: now,
          exp: now + 300,
          iss: production.AUTH_JWT_ISSUER,
          aud: production.AUTH_JWT_AUDIENCE,
          workspaces: { "ws-plain": "admin" },
        },
        secrets.AUTH_JWT_SECRET,
        "HS256",
      );
      const res = await fetch(`${dev.url}/integration/providers?workspace_id=ws-plain`, {
        headers: { Authorization: `Bearer ${jwt}` },
      });
      expect(res.status).toBe(200);
      const providers = (await res.json()) as { name: string; configured: boolean }[];
      expect(providers.find((p) => p.name === "Xero")?.configured).toBe(true);
      // Gusto has nothing in this .dev.vars, so it stays unconfigured: the listing reflects the file.
      expect(providers.find((p) => p.name === "Gusto")?.configured).toBe(false);
      expect(dev.output()).not.toContain("xero-secret-from-dev-vars");
    } finally {
      await dev.stop();
    }
  });

  it("should answer 503 naming a required secret that .dev.vars lacks", async () => {
    const cwd = projectWith({ AUTH_JWT_SECRET: secrets.AUTH_JWT_SECRET, ...production });
    const dev = await startDev({ cwd, readyPath: null });
    try {
      const res = await fetch(`${dev.url}/integration/providers?workspace_id=ws-plain`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("service_not_configured");
      expect(body.error.message).toContain("TOKEN_ENCRYPTION_KEY");
      expect(body.error.message).not.toContain("AUTH_JWT_SECRET");
    } finally {
      await dev.stop();
    }
  });

  it("should connect the sandbox and fetch it on the cron on another port, with .dev.vars.example as it is", async () => {
    const cwd = projectWith({});
    copyFileSync(join(ROOT, ".dev.vars.example"), join(cwd, ".dev.vars"));
    const dev = await startDev({ cwd });
    try {
      // Not `npm run dev`'s port: the sandbox's endpoints must follow where the worker is served.
      expect(new URL(dev.url).port).not.toBe("8787");
      const flow = { url: dev.url, jwtSecret: exampleVars().AUTH_JWT_SECRET! };
      const callback = await connectSandbox(flow, "ws-any-port", "Sandbox");
      expect(callback.origin).toBe(dev.url);
      await runCron(flow);
      // The cron's refresh and fetch run with no request to name the origin.
      expect(await waitForFetch(flow, "ws-any-port", "Sandbox")).toMatchObject({ outcome: "success", trigger: "cron" });
    } finally {
      await dev.stop();
    }
  });
});
