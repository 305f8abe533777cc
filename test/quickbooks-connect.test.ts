// Connecting QuickBooks Online through the worker's routes against the fake Intuit: the company
// (realm) comes from the callback's realmId; a missing or malformed one is refused before the code is
// exchanged, and one the grant does not cover (an edited realmId) when reading its CompanyInfo with the
// new token fails, both storing nothing; the company's name is CompanyInfo.CompanyName; a disconnect
// revokes with Intuit's JSON body.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import { db } from "../src/storage/db";
import { loadAccess } from "../src/workspace/integration-access";
import { authorization, consent, findGrant, grantRequests, stats } from "./fake-client";
import { call, confirm, confirmTokenOf, connectSession, connectThroughPopup, login, token } from "./helpers";

const rowCount = async (table: "integration_access" | "pending_grants", ws: string) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE workspace_id = ?`).bind(ws).first<{ n: number }>())
    ?.n;

const kvKeys = async () => (await env.OAUTH_KV.list()).keys.map((k) => k.name).sort();

describe("connecting QuickBooks", () => {
  it("should take the company from the callback's realmId, read its name, and store both on confirm", async () => {
    const authorize = await login(await connectSession("ws-qb", "QuickBooks"));
    expect(authorize.pathname).toBe("/quickbooks/oauth2");
    expect(authorize.searchParams.get("scope")).toBe("com.intuit.quickbooks.accounting");
    // Intuit does not take PKCE.
    expect(authorize.searchParams.has("code_challenge")).toBe(false);
    const { location, code, realmId } = await consent(authorize.toString());
    expect(realmId).toMatch(/^\d{16}$/);
    const callback = await call(location.toString());
    expect(callback.status).toBe(200);
    const html = await callback.text();
    expect(html).toContain("QuickBooks Online authorized.");
    expect((await confirm("ws-qb", "QuickBooks", confirmTokenOf(html)!)).status).toBe(200);

    const grant = (await findGrant({ code: code! }))!;
    const access = await loadAccess(db(env.DB), await keyRingFromEnv(env), "ws-qb", "QuickBooks");
    expect(access?.tenantId).toBe(realmId);
    expect(access?.tenantName).toBe("Sandbox Company_US_1");
    expect(access?.tokens.refreshToken).toBe(grant.currentRefreshToken);
    // One call: the realm's CompanyInfo, read with the new token before the grant is held.
    const calls = await grantRequests(grant.grantId);
    expect(calls.map((r) => [r.method, r.path, r.status])).toEqual([
      ["GET", `/v3/company/${realmId}/companyinfo/${realmId}`, 200],
    ]);
  });

  it("should fail the callback for a realmId the grant does not cover, storing nothing", async () => {
    const ws = "ws-realm-edited";
    const before = await kvKeys();
    const { location, code, realmId } = await consent((await login(await connectSession(ws, "QuickBooks"))).toString());
    const edited = realmId!.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    location.searchParams.set("realmId", edited);

    const res = await call(location.toString());
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('"code":"invalid_request"');
    expect(html).toContain("QuickBooks Online did not confirm the company the redirect named");
    expect(confirmTokenOf(html)).toBeNull();
    // The code was spent and the company asked about, then everything dropped.
    const grant = (await findGrant({ code: code! }))!;
    expect((await grantRequests(grant.grantId)).map((r) => [r.path, r.status])).toEqual([
      [`/v3/company/${edited}/companyinfo/${edited}`, 403],
    ]);
    expect(await rowCount("pending_grants", ws)).toBe(0);
    expect(await rowCount("integration_access", ws)).toBe(0);
    expect(await kvKeys()).toEqual(before);
  });

  it.each([
    ["missing", null],
    ["empty", ""],
    ["a path", "../1"],
    ["not digits", "abc"],
    ["25 digits long", "1".repeat(25)],
    ["signed", "-123"],
  ])("should refuse a realmId that is %s with a 400 page, exchanging and storing nothing", async (_, realmId) => {
    const ws = `ws-realm-${realmId ?? "none"}`.slice(0, 40);
    const before = await kvKeys();
    const { location, code } = await consent((await login(await connectSession(ws, "QuickBooks"))).toString());
    if (realmId === null) location.searchParams.delete("realmId");
    else location.searchParams.set("realmId", realmId);

    const res = await call(location.toString());
    expect(res.status).toBe(400);
    expect(res.headers.get("Content-Type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain('"code":"tenant_invalid"');
    expect(confirmTokenOf(html)).toBeNull();
    // Refused before the exchange: the code was never spent, so no tokens exist to store or revoke.
    expect((await authorization(code!)).used).toBe(false);
    expect(await rowCount("pending_grants", ws)).toBe(0);
    expect(await rowCount("integration_access", ws)).toBe(0);
    expect(await kvKeys()).toEqual(before);
  });

  it("should refuse a realmId given twice", async () => {
    const { location, code, realmId } = await consent(
      (await login(await connectSession("ws-realm-twice", "QuickBooks"))).toString(),
    );
    location.searchParams.append("realmId", realmId!);
    const res = await call(location.toString());
    expect(res.status).toBe(400);
    expect((await authorization(code!)).used).toBe(false);
    expect(await rowCount("pending_grants", "ws-realm-twice")).toBe(0);
  });

  it("should revoke the refresh token on disconnect with Intuit's JSON body", async () => {
    const { code } = await connectThroughPopup("ws-qb-revoke", "QuickBooks");
    const grant = (await findGrant({ code }))!;
    const res = await call("/integration/disconnect?workspace_id=ws-qb-revoke&integration=QuickBooks", {
      method: "POST",
      bearer: await token({ "ws-qb-revoke": "admin" }),
    });
    expect(res.status).toBe(200);
    const summary = await stats(grant.grantId);
    // The fake answers a form body with 400 invalid_request, like Intuit: revoked means JSON was sent.
    expect(summary.revokeRequests).toBe(1);
    expect(summary.revoked).toBe(true);
    expect(await rowCount("integration_access", "ws-qb-revoke")).toBe(0);
  });
});
