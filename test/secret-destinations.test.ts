// Secrets go only where they belong: a token endpoint (code exchange, refresh, revocation, form or
// JSON body, Basic or client_secret_post) that answers with a redirect gets nothing resent, an API
// that redirects an adapter's GET is a provider error and its target sees no token, a provider's
// error code is clamped before it is stored or shown, and the code exchange goes only to the token
// endpoint the login bound in its state.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/edge/app";
import { clampCode } from "../src/framework/failure";
import { cacheDateKey } from "../src/framework/dates";
import { workspaceClient } from "../src/workspace/client";
import {
  authorization,
  consent,
  fakeOrigin,
  findGrant,
  scriptApi,
  scriptCode,
  scriptRevoke,
  scriptToken,
  sinkHits,
  sinkUrl,
  stats,
} from "./fake-client";
import {
  accessOutcome,
  call,
  connectSession,
  connectThroughPopup,
  login,
  rawAccessRow,
  seedConnection,
  token,
} from "./helpers";

/** Starts a connect and plays the consenting user; the callback URL, not yet called. */
async function callbackUrl(ws: string, integration: string, config?: Record<string, string>) {
  const { location, code } = await consent(
    (await login(await connectSession(ws, integration, "member", "user-1", config))).toString(),
  );
  return { url: location, code: code! };
}

describe("a token endpoint that redirects", () => {
  it.each([
    ["Xero (HTTP Basic)", "Xero"],
    ["Gusto (client_secret_post)", "Gusto"],
  ])("should not follow a 307 from the code exchange of %s", async (_what, integration) => {
    const ws = `ws-redirect-code-${integration}`;
    const sink = `code-${integration}`;
    const { url, code } = await callbackUrl(ws, integration);
    await scriptCode(code, [{ status: 307, location: sinkUrl(sink) }]);
    const res = await call(url.toString());
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('"code":"exchange_failed"');
    expect(await sinkHits(sink)).toEqual([]);
    expect(await rawAccessRow(ws, integration)).toBeNull();
  });

  it.each([
    ["Xero (HTTP Basic)", "xero", "Xero"],
    ["Gusto (client_secret_post)", "gusto", "Gusto"],
  ] as const)("should not follow a 307 from a refresh of %s, and record it as http_307", async (_what, key, name) => {
    const ws = `ws-redirect-refresh-${key}`;
    const sink = `refresh-${key}`;
    const grant = await seedConnection(ws, key, { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ status: 307, location: sinkUrl(sink) }]);
    const outcome = await accessOutcome(ws, name);
    expect(!outcome.ok && outcome.failure.reason).toBe("refresh_failed");
    expect(await sinkHits(sink)).toEqual([]);
    expect((await stats(grant.grantId)).refreshRequests).toBe(1);
    expect((await rawAccessRow(ws, name))!.last_refresh_error).toMatch(
      /^http_307: .* a redirect, which is not followed$/,
    );
  });

  it.each([
    ["a form body (Xero)", "Xero"],
    ["a JSON body (QuickBooks)", "QuickBooks"],
  ])("should not follow a 307 from the revocation with %s", async (_what, integration) => {
    const ws = `ws-redirect-revoke-${integration}`;
    const sink = `revoke-${integration}`;
    const { code } = await connectThroughPopup(ws, integration);
    const grant = (await findGrant({ code }))!;
    await scriptRevoke(grant.grantId, [{ status: 307, location: sinkUrl(sink) }]);
    const res = await call(`/integration/disconnect?workspace_id=${ws}&integration=${integration}`, {
      method: "POST",
      bearer: await token({ [ws]: "admin" }),
    });
    expect(res.status).toBe(200);
    expect((await stats(grant.grantId)).revokeRequests).toBe(1);
    expect(await sinkHits(sink)).toEqual([]);
  });
});

describe("an API that redirects an adapter's GET", () => {
  it("should fail the fetch with the provider's 302 and send the token nowhere else", async () => {
    const ws = "ws-redirect-api";
    const grant = await seedConnection(ws, "gusto");
    await scriptApi(grant.grantId, [{ status: 302, location: sinkUrl("api") }]);
    const outcome = await workspaceClient(env, ws).runFetch(
      { integration: "Gusto" },
      cacheDateKey("2024-01-01"),
      "manual",
    );
    expect(!outcome.ok && outcome.failure).toMatchObject({ reason: "provider_error" });
    expect(!outcome.ok && outcome.failure.message).toMatch(/answered 302/);
    expect(await sinkHits("api")).toEqual([]);
  });
});

describe("provider error codes", () => {
  it.each([
    ["invalid_grant", "invalid_grant"],
    ["Invalid_Grant", "invalid_grant"],
    ["<script>alert(1)</script>", "other"],
    ["invalid grant", "other"],
    ["x".repeat(65), "other"],
    ["", "other"],
    [42, "other"],
  ])("should clamp %j to %j", (code, clamped) => {
    expect(clampCode(code)).toBe(clamped);
  });

  it("should store and show a token endpoint's odd error code as other", async () => {
    const ws = "ws-odd-code";
    const grant = await seedConnection(ws, "xero", { expiresInSeconds: -5 });
    const odd = `<img src=x onerror=alert(1)>${"A".repeat(500)}`;
    await scriptToken(grant.grantId, [{ status: 400, error: odd }]);
    const outcome = await accessOutcome(ws, "Xero");
    expect(!outcome.ok && outcome.failure.reason).toBe("refresh_failed");
    expect(!outcome.ok && outcome.failure.message).toMatch(/\(other\)$/);
    const error = String((await rawAccessRow(ws, "Xero"))!.last_refresh_error);
    expect(error).toMatch(/^other: /);
    expect(error).not.toContain("<img");
  });

  it("should still read a refused grant in another letter case as a reconnect", async () => {
    const ws = "ws-upper-code";
    const grant = await seedConnection(ws, "xero", { expiresInSeconds: -5 });
    await scriptToken(grant.grantId, [{ status: 400, error: "INVALID_GRANT" }]);
    const outcome = await accessOutcome(ws, "Xero");
    expect(!outcome.ok && outcome.failure.reason).toBe("reconnect_required");
    expect((await rawAccessRow(ws, "Xero"))!.last_refresh_error).toMatch(/^invalid_grant: /);
  });

  it("should show the clamped code on the callback page of a refused exchange", async () => {
    const { url, code } = await callbackUrl("ws-odd-exchange", "Xero");
    await scriptCode(code, [{ status: 400, error: "bad<b>grant</b>" }]);
    const html = await (await call(url.toString())).text();
    expect(html).toContain("(other)");
    expect(html).not.toContain("<b>grant");
  });
});

describe("the code exchange's destination", () => {
  it("should exchange the code only at the token endpoint the login bound, sending nothing elsewhere", async () => {
    const ws = "ws-bound-origin";
    const { url, code } = await callbackUrl(ws, "BambooHR", { subdomain: "acme" });
    // Settings changed between the login and the callback: the same fake, under another origin.
    const moved = {
      ...env,
      BAMBOOHR_TOKEN_URL: `${fakeOrigin().replace("127.0.0.1", "localhost")}/generic/bamboohr/token`,
    } as Env;
    const ctx = createExecutionContext();
    const res = await createApp(moved).fetch(new Request(url), moved, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('"code":"state_invalid"');
    expect(html).toMatch(/no longer matches BambooHR's settings/);
    // The code was never presented anywhere.
    expect((await authorization(code)).used).toBe(false);
    expect(await rawAccessRow(ws, "BambooHR")).toBeNull();
  });

  it("should exchange it where the login bound, when nothing changed", async () => {
    const ws = "ws-bound-origin-same";
    const { url, code } = await callbackUrl(ws, "BambooHR", { subdomain: "acme" });
    const res = await call(url.toString());
    expect(res.status).toBe(200);
    expect((await authorization(code)).used).toBe(true);
  });
});
