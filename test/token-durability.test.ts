// Durable rotation: a refreshed token set is written to the workspace object's storage before D1,
// so a D1 failure right after the provider rotated loses nothing; and a refresh whose answer never
// came is resent only for providers that accept a used refresh token again.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import { providers } from "../src/providers/registry";
import { db } from "../src/storage/db";
import { WebhookEvents } from "../src/workspace/webhook-events";
import { ConnectionStore } from "../src/workspace/connections";
import { loadAccess } from "../src/workspace/integration-access";
import { TokenLifecycle } from "../src/workspace/tokens";
import { scriptToken, stats } from "./fake-client";
import { accessOutcome, rawAccessRow, seedConnection } from "./helpers";

const stored = async (ws: string, integration: string) =>
  (await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, integration))!;

/** Makes every D1 statement on integration_access fail until `restore()`: D1 "down" for that table. */
async function breakConnectionsTable(): Promise<{ restore: () => Promise<void> }> {
  await env.DB.prepare("ALTER TABLE integration_access RENAME TO integration_access_away").run();
  return {
    restore: async () => {
      await env.DB.prepare("ALTER TABLE integration_access_away RENAME TO integration_access").run();
    },
  };
}

async function refreshReached(grantId: string): Promise<void> {
  for (let i = 0; i < 200 && (await stats(grantId)).refreshRequests === 0; i++)
    await new Promise((r) => setTimeout(r, 5));
}

describe("durable rotation", () => {
  it("should keep a rotated token set through a D1 failure and write it once D1 is back", async () => {
    const ws = "ws-d1-down";
    const grant = await seedConnection(ws, "xero", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ delayMs: 150, delayAfterProcessing: true }]);
    const pending = accessOutcome(ws, "Xero");
    await refreshReached(grant.grantId);
    const d1 = await breakConnectionsTable();
    const outcome = await pending;
    const rotated = await stats(grant.grantId);
    // The caller got the new token: it is durable in the object's storage even though D1 refused it.
    expect(outcome.ok && outcome.access.accessToken).toBe(rotated.currentAccessToken);
    await d1.restore();
    expect((await stored(ws, "Xero")).tokens.refreshToken).toBe(grant.refresh_token);

    // The object restarts (memory gone); its alarm writes the held set to D1.
    const stub = env.WORKSPACE.getByName(ws);
    await evictDurableObject(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await stored(ws, "Xero");
    expect(after.tokens.refreshToken).toBe(rotated.currentRefreshToken);
    expect(after.requiresReconnect).toBe(false);

    // And the connection works on, without a second refresh or a reconnect.
    const next = await accessOutcome(ws, "Xero");
    expect(next.ok && next.access.accessToken).toBe(rotated.currentAccessToken);
    expect(await stats(grant.grantId)).toMatchObject({ refreshRequests: 1, revoked: false });
  });

  it("should write a held set on the next load when D1 comes back before the alarm", async () => {
    const ws = "ws-d1-load";
    const grant = await seedConnection(ws, "gusto", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ delayMs: 150, delayAfterProcessing: true }]);
    const pending = accessOutcome(ws, "Gusto");
    await refreshReached(grant.grantId);
    const d1 = await breakConnectionsTable();
    expect((await pending).ok).toBe(true);
    await d1.restore();
    await evictDurableObject(env.WORKSPACE.getByName(ws));
    const next = await accessOutcome(ws, "Gusto");
    const current = await stats(grant.grantId);
    expect(next.ok && next.access.accessToken).toBe(current.currentAccessToken);
    expect((await stored(ws, "Gusto")).tokens.refreshToken).toBe(current.currentRefreshToken);
    expect(current.refreshRequests).toBe(1);
  });
});

describe("a refresh that timed out", () => {
  it("should not resend the refresh token for a provider that does not allow it, and mark the connection", async () => {
    const ws = "ws-timeout-strict";
    const grant = await seedConnection(ws, "gusto", { expiresInSeconds: -5 });
    // The provider rotates, and the answer is lost (longer than TOKEN_REFRESH_TIMEOUT_MS, 300 ms).
    await scriptToken(grant.grantId, [{ delayMs: 2000, delayAfterProcessing: true }]);
    // Gusto as a provider that does not accept a used refresh token again.
    const strict = { ...providers.Gusto, refreshRetryAfterTimeout: false };
    const outcome = await runInDurableObject(env.WORKSPACE.getByName(ws), async (_instance, state) => {
      const ring = () => keyRingFromEnv(env);
      const store = new ConnectionStore(state.storage, db(env.DB), ws, ring, new WebhookEvents(env, db(env.DB), ws));
      const lifecycle = new TokenLifecycle(
        state.storage,
        store,
        env,
        ring,
        () => strict,
        () => Promise.resolve(),
      );
      return lifecycle.getIntegrationAccess({ integration: "Gusto" });
    });
    expect(!outcome.ok && outcome.failure.reason).toBe("reconnect_required");
    const summary = await stats(grant.grantId);
    expect(summary.refreshRequests).toBe(1);
    expect(summary.revoked).toBe(false);
    const row = (await rawAccessRow(ws, "Gusto"))!;
    expect(row.requires_reconnect).toBe(1);
    expect(row.last_refresh_error).toMatch(/^refresh_timeout/);
  });

  it("should resend it for a provider that declares refreshRetryAfterTimeout (Xero's grace period)", async () => {
    expect(providers.Xero.refreshRetryAfterTimeout).toBe(true);
    const ws = "ws-timeout-xero";
    const grant = await seedConnection(ws, "xero", { expiresInSeconds: -5 });
    // The first attempt is never processed (the client gives up first); the retry succeeds.
    await scriptToken(grant.grantId, [{ delayMs: 2000 }]);
    const outcome = await accessOutcome(ws, "Xero");
    const summary = await stats(grant.grantId);
    expect(outcome.ok && outcome.access.accessToken).toBe(summary.currentAccessToken);
    expect(summary.refreshRequests).toBe(2);
  });
});
