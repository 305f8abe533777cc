// One contract over every registered provider (scaffolded ones included): its declaration, its
// routes, its login redirect, and its whole life against the fake provider server: connect through
// the popup (tokens stored encrypted), listed as connected, refreshed once its token expires, and
// its data read through the adapter with the refreshed token. A scaffolded provider's own test
// covers only its own logic (normalize, tenant lookup).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import { resolveOAuthApp } from "../src/framework/oauth/app";
import type { OAuthApp } from "../src/framework/oauth/types";
import type { RegisteredProvider } from "../src/framework/provider";
import { tenantPathProblem } from "../src/framework/proxy";
import { providerList } from "../src/providers/registry";
import { db } from "../src/storage/db";
import { loadAccess } from "../src/workspace/integration-access";
import { findGrant, stats } from "./fake-client";
import {
  accessOutcome,
  authorizeThroughPopup,
  call,
  callDevelopment,
  confirm,
  connectSession,
  developmentEnv,
  errorOf,
  getData,
  login,
  rawAccessRow,
  token,
} from "./helpers";

/** Each connection config field's example: a valid `config` for the provider. */
const exampleConfig = (provider: RegisteredProvider) =>
  Object.fromEntries(Object.entries(provider.connectionConfig ?? {}).map(([field, spec]) => [field, spec.example]));

/** The provider's resolved app; fails the test (rather than comparing two `false`s) when it is not configured. */
function configuredApp(provider: RegisteredProvider): OAuthApp {
  const resolution = resolveOAuthApp(provider, provider.developmentOnly ? developmentEnv : env);
  if (!resolution.configured) throw new Error(`${provider.name} is not configured: ${resolution.missing.join(", ")}`);
  return resolution.app;
}

describe.each(providerList)("provider $name", (provider) => {
  // A development-only provider (the sandbox) is served where ENVIRONMENT=development only.
  const via = provider.developmentOnly ? callDevelopment : call;

  it("should declare https endpoints (a development-only one: paths on this worker)", () => {
    const { oauth } = provider;
    for (const url of [
      oauth.authorizeUrl,
      oauth.tokenUrl,
      oauth.apiBaseUrl,
      ...(oauth.revokeUrl ? [oauth.revokeUrl] : []),
    ]) {
      if (provider.developmentOnly) expect(url).toMatch(/^\/sandbox\//);
      else expect(new URL(url).protocol).toBe("https:");
    }
  });

  it("should ask for offline access, or say why it needs no such scope", () => {
    const offlineScope = provider.oauth.scopes.includes("offline_access");
    const note = provider.offlineAccessNote?.trim() ?? "";
    expect(offlineScope || note.length > 0, "an offline_access scope or an offlineAccessNote").toBe(true);
  });

  it("should use only its own connection config fields as URL placeholders, each with a valid example", () => {
    const fields = provider.connectionConfig ?? {};
    const { oauth } = provider;
    for (const url of [oauth.authorizeUrl, oauth.tokenUrl, oauth.apiBaseUrl, oauth.revokeUrl ?? ""]) {
      const filled = url.replace(/\{([^}]*)\}/g, (_, name: string) => {
        const field = fields[name];
        if (!field) throw new Error(`${url} names {${name}}, which is no connectionConfig field`);
        return field.example;
      });
      // A development-only provider's paths are on this worker, wherever it is served.
      if (url) expect(URL.canParse(filled, "http://127.0.0.1:8788"), filled).toBe(true);
    }
    for (const [name, field] of Object.entries(fields)) {
      expect(field.pattern || field.values, `${name} has a pattern or values`).toBeTruthy();
      if (field.pattern) expect(new RegExp(`^(?:${field.pattern.source})$`).test(field.example), name).toBe(true);
      if (field.values) expect(field.values, name).toContain(field.example);
    }
  });

  it("should pin a tenant in the proxy only where connecting finds one, and a path pin ending in {tenant}", () => {
    const pin = provider.proxy?.tenant;
    if (!pin) return;
    // Without a lookup every connection is tenant-less, and the proxy refuses to guess one.
    expect(provider.lookupTenants ?? provider.tenantFromCallback, "lookupTenants or tenantFromCallback").toBeDefined();
    if ("path" in pin) expect(tenantPathProblem(pin.path)).toBeNull();
  });

  it("should be configured from its <NAME>_* variables alone", () => {
    // The test configuration points every URL at the local fake server.
    expect(new URL(configuredApp(provider).tokenUrl).hostname).toBe("127.0.0.1");
  });

  it("should document its login and callback in the OpenAPI document", async () => {
    const doc = await (await via("/openapi.json")).json<{ paths: Record<string, unknown> }>();
    expect(doc.paths).toHaveProperty(`/integration/${provider.slug}/login`);
    expect(doc.paths).toHaveProperty(`/integration/${provider.slug}/callback`);
  });

  it("should redirect its login to the configured authorize URL with state and PKCE", async () => {
    const ws = `ws-contract-${provider.slug}`;
    // A provider with connection config starts only from a connect session (its examples as config).
    const authorize = provider.connectionConfig
      ? await login(await connectSession(ws, provider.name, "member", "user-1", exampleConfig(provider)), {}, via)
      : await login(
          `/integration/${provider.slug}/login?workspace_id=${ws}`,
          { bearer: await token({ [ws]: "member" }) },
          via,
        );
    const app = configuredApp(provider);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(app.authorizeUrl);
    expect(authorize.searchParams.get("client_id")).toBe(app.clientId);
    expect(authorize.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    if (provider.oauth.pkce !== false) expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  });
});

describe.each(providerList.filter((p) => p.developmentOnly))("development-only provider $name", (provider) => {
  it("should not exist outside development: no routes, not listed, not documented", async () => {
    const bearer = await token({ "ws-prod": "admin" });
    for (const path of [
      `/integration/${provider.slug}/login?workspace_id=ws-prod`,
      `/integration/${provider.slug}/callback`,
    ])
      expect((await call(path, { bearer, redirect: "manual" })).status).toBe(404);
    const listed = await (
      await call("/integration/providers?workspace_id=ws-prod", { bearer })
    ).json<{ name: string }[]>();
    expect(listed.map((p) => p.name)).not.toContain(provider.name);
    const session = await call("/integration/connect-sessions", {
      method: "POST",
      bearer,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: "ws-prod", integration: provider.name }),
    });
    // Exactly as for a name that was never registered.
    expect(session.status).toBe(400);
    expect((await errorOf(session)).code).toBe("unknown_integration");
    const doc = await (await call("/openapi.json")).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith(`/integration/${provider.slug}/`))).toEqual([]);
  });
});

// The development-only providers are served by this worker itself (test/sandbox.test.ts).
describe.each(providerList.filter((p) => !p.developmentOnly))("provider $name against the fake", (provider) => {
  const ws = `ws-life-${provider.slug}`;
  const stored = async () => (await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, provider.name))!;
  /** The fake's grant behind the connection the first test makes (storage is shared within a file). */
  let grantId = "";

  it("should connect through login, callback and confirm, and store the grant encrypted", async () => {
    const { callback, html, code, confirmToken } = await authorizeThroughPopup(ws, provider.name, {
      config: exampleConfig(provider),
    });
    expect(callback.status).toBe(200);
    expect(html).toContain("authorized.");
    expect((await confirm(ws, provider.name, confirmToken)).status).toBe(200);

    const grant = (await findGrant({ code }))!;
    grantId = grant.grantId;
    const access = await stored();
    expect(access).toMatchObject({
      tokens: { accessToken: grant.currentAccessToken, refreshToken: grant.currentRefreshToken },
      requiresReconnect: false,
    });
    const raw = JSON.stringify(await rawAccessRow(ws, provider.name));
    expect(raw).not.toContain(grant.currentAccessToken);
    expect(raw).not.toContain(grant.currentRefreshToken);
  });

  it("should be listed as configured and connected", async () => {
    const res = await call(`/integration/providers?workspace_id=${ws}`, { bearer: await token({ [ws]: "member" }) });
    const listed = (await res.json<{ name: string }[]>()).find((p) => p.name === provider.name);
    expect(listed).toMatchObject({ api_type: provider.apiType, configured: true, connected: true });
  });

  it("should refresh an expired token once and store what the provider rotated it to", async () => {
    // The token's lifetime has passed, as far as the worker knows.
    await env.DB.prepare("UPDATE integration_access SET expires_at = ? WHERE workspace_id = ? AND integration = ?")
      .bind(Date.now() - 60_000, ws, provider.name)
      .run();
    const outcome = await accessOutcome(ws, provider.name);
    const grant = await stats(grantId);
    expect(grant.refreshRequests).toBe(1);
    expect(outcome.ok && outcome.access.accessToken).toBe(grant.currentAccessToken);
    expect((await stored()).tokens.refreshToken).toBe(grant.currentRefreshToken);
  });

  it.skipIf(provider.apiType === null)("should serve its data through GET /integration/data", async () => {
    const res = await getData(ws, provider.name, "2024-01-01");
    expect(res.status, await res.clone().text()).toBe(200);
    // The fake serves every provider some lines (accounting) or employees (payroll).
    const body = await res.json<{ dates?: unknown[]; data?: Record<string, unknown>; employees?: unknown[] }>();
    if (provider.apiType === "accounting") {
      expect(body.dates?.length).toBeGreaterThan(0);
      expect(Object.keys(body.data ?? {}).length).toBeGreaterThan(0);
    } else expect(body.employees?.length).toBeGreaterThan(0);
    // Read with the refreshed token: no further refresh was needed.
    expect((await stats(grantId)).refreshRequests).toBe(1);
  });
});
