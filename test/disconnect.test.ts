import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { db } from "../src/storage/db";
import { loadAccess, storeAccess } from "../src/workspace/integration-access";
import { keyRingFromEnv } from "../src/framework/crypto";
import { createGrant, scriptRevoke, stats } from "./fake-client";
import { call, errorOf, token, unregisteredName } from "./helpers";

const path = (ws: string, integration: string) =>
  `/integration/disconnect?workspace_id=${ws}&integration=${integration}`;

async function seed(workspaceId: string) {
  await storeAccess(db(env.DB), await keyRingFromEnv(env), {
    workspaceId,
    integration: "Xero",
    tokens: { accessToken: "at", refreshToken: "rt", tokenType: "Bearer" },
    expiresAt: null,
    scope: null,
    tenantId: "",
    additionalInfo: {},
  });
  await env.DB.prepare(
    "INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at) VALUES (?, 'Xero', 1640908800, '{}', 1)",
  )
    .bind(workspaceId)
    .run();
}

const cacheRows = async (ws: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM data_cache WHERE workspace_id = ?").bind(ws).first<{ n: number }>())
    ?.n;

describe("POST /integration/disconnect", () => {
  it("should let an admin disconnect, removing the connection and its cached data", async () => {
    await seed("ws-a");
    await seed("ws-b");
    const res = await call(path("ws-a", "Xero"), { method: "POST", bearer: await token({ "ws-a": "admin" }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Integration Xero has been disconnected", disconnected: true });
    expect(await loadAccess(db(env.DB), await keyRingFromEnv(env), "ws-a", "Xero")).toBeNull();
    expect(await cacheRows("ws-a")).toBe(0);
    // Another workspace's connection and cache are untouched.
    expect(await loadAccess(db(env.DB), await keyRingFromEnv(env), "ws-b", "Xero")).not.toBeNull();
    expect(await cacheRows("ws-b")).toBe(1);
  });

  it("should say so when the integration is not connected", async () => {
    const res = await call(path("ws-c", "Gusto"), { method: "POST", bearer: await token({ "ws-c": "admin" }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: "Integration Gusto is not connected", disconnected: false });
  });

  it("should refuse a member with 403", async () => {
    await seed("ws-m");
    const res = await call(path("ws-m", "Xero"), { method: "POST", bearer: await token({ "ws-m": "member" }) });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("forbidden");
    expect(await loadAccess(db(env.DB), await keyRingFromEnv(env), "ws-m", "Xero")).not.toBeNull();
  });

  it("should refuse an admin of another workspace with 403", async () => {
    const res = await call(path("ws-m", "Xero"), { method: "POST", bearer: await token({ "ws-x": "admin" }) });
    expect(res.status).toBe(403);
  });

  it("should answer 400 unknown_integration for a name not in the registry", async () => {
    const name = unregisteredName();
    const res = await call(path("ws-a", name), { method: "POST", bearer: await token({ "ws-a": "admin" }) });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ code: "unknown_integration", message: `Unknown integration "${name}"` });
  });
});

describe("disconnect revokes the grant at the provider", () => {
  async function connected(workspaceId: string) {
    const grant = await createGrant({ provider: "xero" });
    await storeAccess(db(env.DB), await keyRingFromEnv(env), {
      workspaceId,
      integration: "Xero",
      tokens: { accessToken: grant.access_token, refreshToken: grant.refresh_token, tokenType: "Bearer" },
      expiresAt: Date.now() + 1800_000,
      scope: null,
      tenantId: grant.tenantIds[1] ?? "",
      additionalInfo: {},
    });
    return grant;
  }

  it("should revoke the refresh token (RFC 7009)", async () => {
    const grant = await connected("ws-revoke");
    const res = await call(path("ws-revoke", "Xero"), {
      method: "POST",
      bearer: await token({ "ws-revoke": "admin" }),
    });
    expect(res.status).toBe(200);
    const summary = await stats(grant.grantId);
    expect(summary.revokeRequests).toBe(1);
    expect(summary.revoked).toBe(true);
  });

  it("should still disconnect locally when the revocation fails", async () => {
    const grant = await connected("ws-revoke-fail");
    await scriptRevoke(grant.grantId, [{ status: 503 }]);
    const res = await call(path("ws-revoke-fail", "Xero"), {
      method: "POST",
      bearer: await token({ "ws-revoke-fail": "admin" }),
    });
    expect(await res.json()).toEqual({ message: "Integration Xero has been disconnected", disconnected: true });
    expect(await loadAccess(db(env.DB), await keyRingFromEnv(env), "ws-revoke-fail", "Xero")).toBeNull();
    const summary = await stats(grant.grantId);
    expect(summary.revokeRequests).toBe(1);
    expect(summary.revoked).toBe(false);
  });
});
