// Durable rotation: a refreshed token set is written to the workspace object's storage before D1,
// so a D1 failure right after the provider rotated loses nothing; and a refresh whose answer never
// came is resent only for providers that accept a used refresh token again.
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import { providers } from "../src/providers/registry";
import { db } from "../src/storage/db";
import { loadAccess } from "../src/workspace/integration-access";
import { gate, scriptToken, stats } from "./fake-client";
import { accessOutcome, accessWithSettings, rawAccessRow, seedConnection } from "./helpers";

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

/** Where the timeout is the thing under test: short, against an answer that never comes in time. */
const SHORT_TIMEOUT = { TOKEN_REFRESH_TIMEOUT_MS: "300" };

describe("durable rotation", () => {
  it("should keep a rotated token set through a D1 failure and write it once D1 is back", async () => {
    const ws = "ws-d1-down";
    const grant = await seedConnection(ws, "xero", { expiresInSeconds: -5 });
    // The provider rotates; its answer is held until D1 is down.
    const answer = gate("d1-down");
    await scriptToken(grant.grantId, [{ hold: answer.name, holdAt: "answer" }]);
    const pending = accessOutcome(ws, "Xero");
    await answer.held();
    const d1 = await breakConnectionsTable();
    await answer.release();
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
    const answer = gate("d1-load");
    await scriptToken(grant.grantId, [{ hold: answer.name, holdAt: "answer" }]);
    const pending = accessOutcome(ws, "Gusto");
    await answer.held();
    const d1 = await breakConnectionsTable();
    await answer.release();
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
    // The provider rotates, and the answer is lost: held until the worker has given up on it.
    const answer = gate("timeout-strict");
    await scriptToken(grant.grantId, [{ hold: answer.name, holdAt: "answer" }]);
    // Gusto as a provider that does not accept a used refresh token again.
    const outcome = await accessWithSettings(ws, "Gusto", {
      vars: SHORT_TIMEOUT,
      provider: { refreshRetryAfterTimeout: false },
    });
    // The worker hung up on the held answer: it timed out, it never heard back.
    expect(await answer.abandoned()).toMatchObject({ abandoned: 1, passed: 0 });
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
    // The first attempt is held on arrival, so never processed: the client gives up first; the retry succeeds.
    const first = gate("timeout-xero");
    await scriptToken(grant.grantId, [{ hold: first.name }]);
    const outcome = await accessWithSettings(ws, "Xero", { vars: SHORT_TIMEOUT });
    expect(await first.abandoned()).toMatchObject({ abandoned: 1, passed: 0 });
    const summary = await stats(grant.grantId);
    expect(outcome.ok && outcome.access.accessToken).toBe(summary.currentAccessToken);
    expect(summary).toMatchObject({ refreshRequests: 2, consumedRefreshTokens: 1, revoked: false });
  });
});
