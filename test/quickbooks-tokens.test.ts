// QuickBooks tokens after connecting through the worker: Intuit rotates the refresh token on every
// refresh, an idle one is kept alive by the cron before its 100 days run out, and the five-year
// hard expiry Intuit states when asked is stored and shown.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import { runFanOut } from "./dispatch-driver";
import { providers } from "../src/providers/registry";
import { db } from "../src/storage/db";
import { loadAccess } from "../src/workspace/integration-access";
import { expireAccessTokens, findGrant, stats, tenantRequests } from "./fake-client";
import { call, connectThroughPopup, getData, token } from "./helpers";

/** The realm's report calls (the company check at connect time is not one). */
const reportCalls = async (realm: string) => (await tenantRequests(realm)).filter((r) => r.path.includes("/reports/"));

const DAY = 24 * 3600_000;

const stored = async (ws: string) => (await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, "QuickBooks"))!;

async function connectQuickBooks(ws: string) {
  const { code } = await connectThroughPopup(ws, "QuickBooks");
  return (await findGrant({ code }))!;
}

describe("QuickBooks tokens", () => {
  it("should refresh once on Intuit's 401 and store the rotated refresh token", async () => {
    const grant = await connectQuickBooks("ws-qb-rotate");
    // Intuit has ended the access token early; the worker still believes it valid.
    await expireAccessTokens(grant.grantId);
    expect((await getData("ws-qb-rotate", "QuickBooks", "2024-02-10")).status).toBe(200);

    const summary = await stats(grant.grantId);
    expect(summary.refreshRequests).toBe(1);
    expect(summary.consumedRefreshTokens).toBe(1);
    const access = await stored("ws-qb-rotate");
    expect(access.tokens.refreshToken).toBe(summary.currentRefreshToken);
    expect(access.tokens.refreshToken).not.toBe(grant.currentRefreshToken);
    expect(access.tokens.accessToken).toBe(summary.currentAccessToken);
    // The first attempt met 401s; after the one refresh, all eight reports went through.
    const requests = await reportCalls(grant.tenantIds[0]!);
    expect(requests.filter((r) => r.status === 401).length).toBeGreaterThan(0);
    expect(requests.filter((r) => r.status === 200)).toHaveLength(8);
    expect(requests.every((r) => r.status === 200 || r.status === 401)).toBe(true);
  });

  it("should be refreshed by the cron keep-alive once idle for 50 days, not before", async () => {
    expect(providers.QuickBooks.keepAliveAfterMs).toBe(50 * DAY);
    const grant = await connectQuickBooks("ws-qb-idle");
    const before = await stats(grant.grantId);
    expect((await runFanOut(Date.now() + 49 * DAY, { kinds: ["keepalive"] })).messages).toBe(0);
    expect((await stats(grant.grantId)).refreshRequests).toBe(before.refreshRequests);

    expect((await runFanOut(Date.now() + 51 * DAY, { kinds: ["keepalive"] })).messages).toBeGreaterThanOrEqual(1);
    await expect
      .poll(async () => (await stats(grant.grantId)).refreshRequests, { timeout: 10_000, interval: 50 })
      .toBeGreaterThan(before.refreshRequests);
    const after = await stats(grant.grantId);
    expect(after.refreshRequests).toBe(before.refreshRequests + 1);
    expect((await stored("ws-qb-idle")).tokens.refreshToken).toBe(after.currentRefreshToken);
    expect(after.currentRefreshToken).not.toBe(before.currentRefreshToken);
  });

  it("should store Intuit's five-year hard expiry, keep it through refreshes and show it in the status", async () => {
    const FIVE_YEARS = 5 * 365 * DAY;
    const before = Date.now();
    const grant = await connectQuickBooks("ws-qb-hard");
    const hard = (await stored("ws-qb-hard")).refreshHardExpiresAt!;
    // What the fake answered when asked (x-include-refresh-token-hard-expires-in), from its own clock.
    expect(hard).toBeGreaterThan(before + FIVE_YEARS - 60_000);
    expect(hard).toBeLessThanOrEqual(Date.now() + FIVE_YEARS);
    const status = async () => {
      const res = await call("/integration/status?workspace_id=ws-qb-hard", {
        bearer: await token({ "ws-qb-hard": "member" }),
      });
      expect(res.status).toBe(200);
      return (await res.json<{ token: Record<string, unknown> }[]>())[0]!.token;
    };
    expect(await status()).toMatchObject({ refresh_hard_expires_at: new Date(hard).toISOString() });

    // A row from before the column existed learns it at its next refresh, which asks for it too …
    await env.DB.prepare(
      "UPDATE integration_access SET refresh_hard_expires_at = NULL WHERE workspace_id = 'ws-qb-hard'",
    ).run();
    await expireAccessTokens(grant.grantId);
    expect((await getData("ws-qb-hard", "QuickBooks", "2024-02-10")).status).toBe(200);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
    const learned = (await stored("ws-qb-hard")).refreshHardExpiresAt!;
    expect(Math.abs(learned - hard)).toBeLessThan(60_000);
    // … and keeps it: each refresh restates it a second or so off (Intuit's clock); the consent's stays.
    await expireAccessTokens(grant.grantId);
    expect((await getData("ws-qb-hard", "QuickBooks", "2024-03-10")).status).toBe(200);
    expect((await stats(grant.grantId)).refreshRequests).toBe(2);
    expect((await stored("ws-qb-hard")).refreshHardExpiresAt).toBe(learned);
    expect(await status()).toMatchObject({ refresh_hard_expires_at: new Date(learned).toISOString() });
  });

  it("should show no hard expiry for a provider that states none", async () => {
    await connectThroughPopup("ws-qb-none", "Xero");
    const res = await call("/integration/status?workspace_id=ws-qb-none", {
      bearer: await token({ "ws-qb-none": "member" }),
    });
    const [entry] = await res.json<{ token: Record<string, unknown> }[]>();
    expect(entry!.token).toMatchObject({ refresh_hard_expires_at: null });
  });
});
