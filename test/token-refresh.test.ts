// The workspace Durable Object's token lifecycle against a fake provider that rotates refresh
// tokens and revokes the whole grant when a consumed one comes back.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { db } from "../src/storage/db";
import { loadAccess, storeAccess } from "../src/workspace/integration-access";
import { keyRingFromEnv } from "../src/framework/crypto";
import { createProviderApi } from "../src/framework/provider-http";
import { workspaceClient } from "../src/workspace/client";
import { gate, scriptToken, stats } from "./fake-client";
import { accessOutcome, accessWithSettings, errorOf, getData, rawAccessRow, seedConnection } from "./helpers";

const stored = async (ws: string, integration = "Xero") =>
  (await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, integration))!;

describe("single-flight refresh", () => {
  it("should send exactly one refresh for 1,000 concurrent callers of an expired token", async () => {
    const grant = await seedConnection("ws-burst", "xero", { expiresInSeconds: -60 });
    const outcomes = await Promise.all(Array.from({ length: 1000 }, () => accessOutcome("ws-burst", "Xero")));
    const summary = await stats(grant.grantId);
    expect(summary.refreshRequests).toBe(1);
    expect(summary.revoked).toBe(false);
    const tokens = new Set(outcomes.map((o) => (o.ok ? o.access.accessToken : `error:${o.failure.reason}`)));
    expect([...tokens]).toEqual([summary.currentAccessToken]);
    // Persisted before use: D1 holds what the callers got, and the rotated refresh token.
    const access = await stored("ws-burst");
    expect(access.tokens.accessToken).toBe(summary.currentAccessToken);
    expect(access.tokens.refreshToken).toBe(summary.currentRefreshToken);
    expect(access.lastRefreshAt).not.toBeNull();
  });

  it("should keep a connection healthy through 200 concurrent data requests right after expiry", async () => {
    const grant = await seedConnection("ws-data-burst", "xero", { expiresInSeconds: -1 });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const outcome = await accessOutcome("ws-data-burst", "Xero");
        if (!outcome.ok) throw new Error(outcome.failure.reason);
        const { access } = outcome;
        await createProviderApi(access.apiBaseUrl, access.accessToken).get("/connections");
        return "ok";
      }),
    );
    expect(statuses.every((s) => s === "ok")).toBe(true);
    const summary = await stats(grant.grantId);
    expect(summary.refreshRequests).toBe(1);
    expect(summary.maxConcurrentRefresh).toBe(1);
    expect(summary.revoked).toBe(false);
    expect(summary.apiRequests).toBe(200);
    expect((await stored("ws-data-burst")).requiresReconnect).toBe(false);
  });

  it("should not refresh a token outside its refresh margin", async () => {
    const grant = await seedConnection("ws-fresh", "xero", { expiresInSeconds: 1200, issuedAgoMs: 600_000 });
    const outcome = await accessOutcome("ws-fresh", "Xero");
    expect(outcome.ok && outcome.access.accessToken).toBe(grant.access_token);
    expect((await stats(grant.grantId)).refreshRequests).toBe(0);
  });

  it("should refresh a token inside the margin before it expires", async () => {
    const grant = await seedConnection("ws-margin", "gusto", { expiresInSeconds: 120, issuedAgoMs: 1680_000 });
    const outcome = await accessOutcome("ws-margin", "Gusto");
    const summary = await stats(grant.grantId);
    expect(summary.refreshRequests).toBe(1);
    expect(outcome.ok && outcome.access.accessToken).toBe(summary.currentAccessToken);
  });

  it("should use half the lifetime as the margin of a token that lives under 10 minutes", async () => {
    // 240 s lifetime → 120 s margin: refreshed with 100 s left, not with 140 s left.
    const due = await seedConnection("ws-short-due", "gusto", { expiresInSeconds: 100, issuedAgoMs: 140_000 });
    const early = await seedConnection("ws-short-early", "gusto", { expiresInSeconds: 140, issuedAgoMs: 100_000 });
    await accessOutcome("ws-short-due", "Gusto");
    await accessOutcome("ws-short-early", "Gusto");
    expect((await stats(due.grantId)).refreshRequests).toBe(1);
    expect((await stats(early.grantId)).refreshRequests).toBe(0);
  });
});

describe("refresh responses", () => {
  it("should store the rotated refresh token", async () => {
    const grant = await seedConnection("ws-rotate", "xero", { expiresInSeconds: -5 });
    await accessOutcome("ws-rotate", "Xero");
    const access = await stored("ws-rotate");
    expect(access.tokens.refreshToken).not.toBe(grant.refresh_token);
    expect(access.tokens.refreshToken).toBe((await stats(grant.grantId)).currentRefreshToken);
  });

  it("should keep the previous refresh token when the response has none", async () => {
    const grant = await seedConnection("ws-no-rt", "gusto", { expiresInSeconds: -5, refreshTokenOnRefresh: false });
    const outcome = await accessOutcome("ws-no-rt", "Gusto");
    expect(outcome.ok).toBe(true);
    const access = await stored("ws-no-rt", "Gusto");
    expect(access.tokens.refreshToken).toBe(grant.refresh_token);
    expect(access.tokens.accessToken).toBe((await stats(grant.grantId)).currentAccessToken);
    expect(access.expiresAt).toBeGreaterThan(Date.now());
  });
});

describe("refresh failures", () => {
  it("should mark invalid_grant as requires_reconnect, answer 409 and keep cached data", async () => {
    const grant = await seedConnection("ws-invalid", "xero", { expiresInSeconds: -5 });
    await env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at) VALUES ('ws-invalid', 'Xero', 1640908800, '{}', 1)",
    ).run();
    await scriptToken(grant.grantId, [{ status: 400, error: "invalid_grant" }]);
    const outcome = await accessOutcome("ws-invalid", "Xero");
    expect(!outcome.ok && outcome.failure).toMatchObject({ reason: "reconnect_required" });
    const row = (await rawAccessRow("ws-invalid", "Xero"))!;
    expect(row.requires_reconnect).toBe(1);
    expect(row.refresh_failures).toBe(1);
    expect(row.last_refresh_error).toMatch(/^invalid_grant/);
    expect(JSON.stringify(row)).not.toContain(grant.refresh_token);
    const cache = await env.DB.prepare("SELECT count(*) AS n FROM data_cache WHERE workspace_id = 'ws-invalid'").first<{
      n: number;
    }>();
    expect(cache?.n).toBe(1);
    // Later callers get 409 at once, without asking the provider again.
    expect((await accessOutcome("ws-invalid", "Xero")).ok).toBe(false);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
  });

  it("should treat invalid_client as a reconnect too", async () => {
    const grant = await seedConnection("ws-invalid-client", "gusto", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ status: 401, error: "invalid_client" }]);
    const outcome = await accessOutcome("ws-invalid-client", "Gusto");
    expect(!outcome.ok && outcome.failure.reason).toBe("reconnect_required");
  });

  it("should retry a 500 and stay connected", async () => {
    const grant = await seedConnection("ws-500", "xero", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ status: 500 }, { status: 200 }]);
    const outcome = await accessOutcome("ws-500", "Xero");
    const summary = await stats(grant.grantId);
    expect(outcome.ok && outcome.access.accessToken).toBe(summary.currentAccessToken);
    expect(summary.refreshRequests).toBe(2);
    const row = (await rawAccessRow("ws-500", "Xero"))!;
    expect(row.requires_reconnect).toBe(0);
    expect(row.refresh_failures).toBe(0);
  });

  it("should answer 503 after bounded retries of 5xx, and stay connected", async () => {
    const grant = await seedConnection("ws-503", "xero", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ status: 502 }, { status: 503 }, { status: 500 }, { status: 500 }]);
    const outcome = await accessOutcome("ws-503", "Xero");
    expect(!outcome.ok && outcome.failure).toMatchObject({ reason: "provider_unavailable" });
    expect((await stats(grant.grantId)).refreshRequests).toBe(4); // 1 + TOKEN_REFRESH_RETRIES (3)
    const row = (await rawAccessRow("ws-503", "Xero"))!;
    expect(row.requires_reconnect).toBe(0);
    expect(row.refresh_failures).toBe(1);
    expect(row.last_refresh_error).toMatch(/^http_500/);
    // The grant is intact: the next call refreshes normally.
    const next = await accessOutcome("ws-503", "Xero");
    expect(next.ok).toBe(true);
    expect((await rawAccessRow("ws-503", "Xero"))!.refresh_failures).toBe(0);
  });

  it("should retry after a timeout that the provider never processed", async () => {
    const grant = await seedConnection("ws-timeout", "gusto", { expiresInSeconds: -5 });
    // Held on arrival until the worker gives up (a short timeout, the thing under test): never processed.
    const first = gate("timeout");
    await scriptToken(grant.grantId, [{ hold: first.name }]);
    const outcome = await accessWithSettings("ws-timeout", "Gusto", { vars: { TOKEN_REFRESH_TIMEOUT_MS: "300" } });
    expect(await first.abandoned()).toMatchObject({ abandoned: 1, passed: 0 });
    const summary = await stats(grant.grantId);
    expect(outcome.ok && outcome.access.accessToken).toBe(summary.currentAccessToken);
    expect(summary.refreshRequests).toBe(2);
    expect(summary.revoked).toBe(false);
  });

  it("should treat an answer whose body comes too late as a lost answer, not an unexpected failure", async () => {
    // Headers in time, body after the timeout: the provider processed the refresh (and rotated).
    const grant = await seedConnection("ws-late-body", "gusto", { expiresInSeconds: -5 });
    // The body is held until the worker gives up. The timeout is short, being the thing under test,
    // yet long enough for headers sent at once to arrive on a loaded machine.
    const body = gate("late-body");
    await scriptToken(grant.grantId, [{ hold: body.name, holdAt: "body" }]);
    const outcome = await accessWithSettings("ws-late-body", "Gusto", { vars: { TOKEN_REFRESH_TIMEOUT_MS: "3000" } });
    expect(await body.abandoned()).toMatchObject({ abandoned: 1, passed: 0 });
    // Before the fix a bare TimeoutError escaped (a 500) and left the connection refresh_interrupted.
    // Now it is retried like any lost answer; Gusto has no grace period for the rotated-away token,
    // so the resend is refused and the member is asked to reconnect, with the reason recorded.
    expect(!outcome.ok && outcome.failure).toMatchObject({ reason: "reconnect_required" });
    const row = (await rawAccessRow("ws-late-body", "Gusto"))!;
    expect(row.last_refresh_error).toMatch(/^invalid_grant/);
    expect((await stats(grant.grantId)).refreshRequests).toBe(2);
  });

  it("should wait Retry-After on 429 and then refresh", async () => {
    const grant = await seedConnection("ws-429", "xero", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ status: 429, retryAfter: 1 }]);
    const outcome = await accessOutcome("ws-429", "Xero");
    expect(outcome.ok).toBe(true);
    expect((await stats(grant.grantId)).refreshRequests).toBe(2);
  });

  it("should pass a Retry-After longer than it may wait to the caller instead of retrying", async () => {
    const grant = await seedConnection("ws-429-long", "xero", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ status: 429, retryAfter: 120 }]);
    const outcome = await accessOutcome("ws-429-long", "Xero");
    expect(!outcome.ok && outcome.failure).toMatchObject({ reason: "provider_unavailable", retryAfterMs: 120_000 });
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
    expect((await rawAccessRow("ws-429-long", "Xero"))!.requires_reconnect).toBe(0);
  });

  it("should answer not_connected for a workspace without the connection", async () => {
    const outcome = await accessOutcome("ws-none", "Xero");
    expect(!outcome.ok && outcome.failure).toMatchObject({ reason: "not_connected" });
  });
});

describe("a connection without a refresh token", () => {
  async function withoutRefreshToken(ws: string, expiresAt: number) {
    await storeAccess(db(env.DB), await keyRingFromEnv(env), {
      workspaceId: ws,
      integration: "Gusto",
      tokens: { accessToken: `at-${ws}`, refreshToken: null, tokenType: "Bearer" },
      expiresAt,
      scope: null,
      tenantId: "company",
      additionalInfo: {},
    });
  }

  it("should serve the access token while it is valid, even to the keep-alive's forced refresh", async () => {
    await withoutRefreshToken("ws-no-rt-valid", Date.now() + 60_000);
    expect((await accessOutcome("ws-no-rt-valid", "Gusto")).ok).toBe(true);
    const forced = await workspaceClient(env, "ws-no-rt-valid").refreshNow({ integration: "Gusto" });
    expect(forced.ok && forced.access.accessToken).toBe("at-ws-no-rt-valid");
  });

  it("should ask for a reconnect once it has expired", async () => {
    await withoutRefreshToken("ws-no-rt-expired", Date.now() - 1000);
    const outcome = await accessOutcome("ws-no-rt-expired", "Gusto");
    expect(!outcome.ok && outcome.failure.reason).toBe("reconnect_required");
    expect((await rawAccessRow("ws-no-rt-expired", "Gusto"))!.last_refresh_error).toMatch(/^no_refresh_token/);
  });
});

describe("a connection that needs a reconnect", () => {
  it("should still serve its cached months and answer 409 only for a month not cached", async () => {
    const grant = await seedConnection("ws-reconnect-cache", "xero");
    const cached = await getData("ws-reconnect-cache", "Xero", "2025-04-15");
    expect(cached.status).toBe(200);
    const before = await cached.json<{ fetched_at: string }>();
    // The keep-alive's forced refresh meets a refresh token the provider no longer accepts.
    await scriptToken(grant.grantId, [{ status: 400, error: "invalid_grant" }]);
    const forced = await workspaceClient(env, "ws-reconnect-cache").refreshNow({ integration: "Xero" });
    expect(!forced.ok && forced.failure.reason).toBe("reconnect_required");
    const uncached = await getData("ws-reconnect-cache", "Xero", "2023-04-15");
    expect(uncached.status).toBe(409);
    expect((await errorOf(uncached)).code).toBe("reconnect_required");
    // What was read under the user's consent is not thrown away while they reconnect.
    const again = await getData("ws-reconnect-cache", "Xero", "2025-04-15");
    expect(again.status).toBe(200);
    expect((await again.json<{ fetched_at: string }>()).fetched_at).toBe(before.fetched_at);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
  });
});
