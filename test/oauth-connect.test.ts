// The full connect flow for both providers, from connect session through the callback (a held,
// pending grant) and the confirm step to the stored, encrypted row.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { db } from "../src/storage/db";
import { loadAccess } from "../src/workspace/integration-access";
import { keyRingFromEnv } from "../src/framework/crypto";
import { consent, findGrant, stats } from "./fake-client";
import {
  authorizeThroughPopup,
  call,
  confirm,
  connectSession,
  connectThroughPopup,
  login,
  rawAccessRow,
  token,
  unregisteredName,
} from "./helpers";

describe.each([
  { integration: "Xero", slug: "xero", authorizePath: "/xero/authorize", tenantType: "ORGANISATION" },
  { integration: "Gusto", slug: "gusto", authorizePath: "/gusto/oauth/authorize", tenantType: "Company" },
])("connecting $integration", ({ integration, slug, authorizePath }) => {
  const ws = `ws-connect-${slug}`;

  it("should redirect with state and PKCE S256, hold the grant until it is confirmed, then store it encrypted", async () => {
    const { authorize, callback, html, code, confirmToken } = await authorizeThroughPopup(ws, integration);
    expect(authorize.pathname).toBe(authorizePath);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get("redirect_uri")).toBe(
      `https://integrations.example.test/integration/${slug}/callback`,
    );
    // ≥ 32 random bytes, base64url without padding.
    expect(authorize.searchParams.get("state")!.length).toBeGreaterThanOrEqual(43);

    expect(callback.status).toBe(200);
    expect(callback.headers.get("Cache-Control")).toBe("no-store");
    expect(callback.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    // The page posts to window.opener, which a Cross-Origin-Opener-Policy would sever.
    expect(callback.headers.get("Cross-Origin-Opener-Policy")).toBeNull();
    expect(callback.headers.get("X-Frame-Options")).toBe("DENY");
    expect(html).toContain(`${integration} authorized. Return to the app to finish connecting`);
    expect(html).toContain('"type":"zebbra:integration"');
    expect(html).toContain('"status":"authorized"');
    expect(html).toContain(`"confirm_token":"${confirmToken}"`);
    expect(html).toContain('"https://app.example.test"');
    expect(html).not.toContain('"*"');
    // Authorized is not connected: nothing is stored until the same user confirms.
    expect(await rawAccessRow(ws, integration)).toBeNull();

    const confirmed = await confirm(ws, integration, confirmToken);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ name: integration, connected: true, connected_by: "user-1" });

    const grant = (await findGrant({ code }))!;
    const access = await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, integration);
    expect(access?.tokens.accessToken).toBe(grant.currentAccessToken);
    expect(access?.tokens.refreshToken).toBe(grant.currentRefreshToken);
    expect(access?.requiresReconnect).toBe(false);
    expect(access?.expiresAt).toBeGreaterThan(Date.now());
    if (integration === "Xero") {
      // The one ORGANISATION, not the PRACTICE listed before it (which has no books to choose).
      const organisation = grant.tenants.find((t) => t.type === "ORGANISATION")!;
      expect(grant.tenants[0]!.type).not.toBe("ORGANISATION");
      expect(access?.tenantId).toBe(organisation.id);
      expect(access?.tenantName).toBe(organisation.name);
      // Xero's connection id, which removes this organisation alone from the grant.
      expect(access?.additionalInfo.connectionId).toBe(organisation.connectionId);
    } else {
      expect(access?.tenantId).toBe(grant.tenantIds[0]);
    }

    const raw = JSON.stringify(await rawAccessRow(ws, integration));
    expect(raw).not.toContain(grant.currentAccessToken);
    expect(raw).not.toContain(grant.currentRefreshToken);
    expect((await stats(grant.grantId)).tokenRequests).toBe(1);
  });

  it("should replace the earlier grant and clear requires_reconnect on reconnect", async () => {
    await env.DB.prepare("UPDATE integration_access SET requires_reconnect = 1 WHERE workspace_id = ?").bind(ws).run();
    const before = await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, integration);
    // Replacing a connection to the same company needs the admin role.
    const { code } = await connectThroughPopup(ws, integration, { role: "admin", tenant: before!.tenantId });
    const grant = (await findGrant({ code }))!;
    const access = await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, integration);
    expect(access?.tokens.accessToken).toBe(grant.currentAccessToken);
    expect(access?.requiresReconnect).toBe(false);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM integration_access WHERE workspace_id = ?")
      .bind(ws)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });

  it("should show the connection in the providers listing", async () => {
    const res = await call(`/integration/providers?workspace_id=${ws}`, { bearer: await token({ [ws]: "member" }) });
    const body =
      await res.json<{ name: string; connected: boolean; configured: boolean; connected_by: string | null }[]>();
    expect(body.find((p) => p.name === integration)).toMatchObject({
      connected: true,
      configured: true,
      connected_by: "user-1",
    });
  });
});

describe("login with the bearer token in the Authorization header", () => {
  it("should redirect a member to the provider", async () => {
    const authorize = await login("/integration/xero/login?workspace_id=ws-header", {
      bearer: await token({ "ws-header": "member" }),
    });
    const { location } = await consent(authorize.toString());
    const callback = await call(location.toString());
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain('"status":"authorized"');
  });

  it("should answer 401 without a token and 403 for another workspace", async () => {
    expect((await call("/integration/xero/login?workspace_id=ws-header", { redirect: "manual" })).status).toBe(401);
    const res = await call("/integration/xero/login?workspace_id=ws-header", {
      redirect: "manual",
      bearer: await token({ "ws-other": "admin" }),
    });
    expect(res.status).toBe(403);
  });

  it("should refuse both or neither of session and workspace_id", async () => {
    expect((await call("/integration/xero/login", { redirect: "manual" })).status).toBe(400);
    expect((await call("/integration/xero/login?workspace_id=a&session=b", { redirect: "manual" })).status).toBe(400);
  });
});

describe("connect sessions", () => {
  it("should answer 201 with an absolute URL and an expiry 10 minutes ahead", async () => {
    const res = await call("/integration/connect-sessions", {
      method: "POST",
      bearer: await token({ "ws-s": "member" }),
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: "ws-s", integration: "gusto" }),
    });
    expect(res.status).toBe(201);
    const body = await res.json<{ url: string; expires_at: string }>();
    expect(body.url).toMatch(
      /^https:\/\/integrations\.example\.test\/integration\/gusto\/login\?session=[A-Za-z0-9_-]{43}$/,
    );
    const ttl = Date.parse(body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it("should work once", async () => {
    const url = await connectSession("ws-once", "Xero");
    await login(url);
    const again = await call(url, { redirect: "manual" });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("expired or was already used");
  });

  it("should refuse a session used at another provider's login", async () => {
    const url = new URL(await connectSession("ws-cross", "Xero"));
    url.pathname = "/integration/gusto/login";
    expect((await call(url.toString(), { redirect: "manual" })).status).toBe(400);
  });

  it("should validate the body and the caller", async () => {
    const bearer = await token({ "ws-v": "member" });
    const post = (body: string, headers: Record<string, string> = { "Content-Type": "application/json" }) =>
      call("/integration/connect-sessions", { method: "POST", bearer, headers, body });
    expect((await post(JSON.stringify({ workspace_id: "ws-v" }))).status).toBe(400);
    expect((await post("{not json")).status).toBe(400);
    expect((await post(JSON.stringify({ workspace_id: "ws-v", integration: unregisteredName() }))).status).toBe(400);
    expect((await post(JSON.stringify({ workspace_id: "ws-other", integration: "Xero" }))).status).toBe(403);
  });
});
