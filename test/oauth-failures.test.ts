// Callbacks that must not connect anything: bad state in all its forms, provider refusals and
// token endpoint failures; and providers without credentials.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/edge/app";
import { resolveOAuthApp } from "../src/framework/oauth/app";
import { saveState } from "../src/framework/state";
import { providers } from "../src/providers/registry";
import { consent, scriptCode } from "./fake-client";
import { call, connectSession, login, rawAccessRow, token } from "./helpers";

/** Starts a login and plays the consenting user; returns the callback URL without calling it. */
async function callbackUrl(
  workspaceId: string,
  integration = "Xero",
): Promise<{ url: URL; code: string; state: string }> {
  const { location, code, state } = await consent(
    (await login(await connectSession(workspaceId, integration))).toString(),
  );
  return { url: location, code: code!, state: state! };
}

async function expectErrorPage(res: Response, status: number, code: string, text: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toContain("text/html");
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  const html = await res.text();
  expect(html).toMatch(text);
  expect(html).toContain('"status":"error"');
  expect(html).toContain(`"code":"${code}"`);
}

describe("callback state checks", () => {
  it("should refuse a missing state", async () => {
    await expectErrorPage(
      await call("/integration/xero/callback?code=abc"),
      400,
      "state_invalid",
      /expired, was already used/,
    );
  });

  it("should refuse an unknown or tampered state, storing nothing", async () => {
    const { url, state } = await callbackUrl("ws-tamper");
    url.searchParams.set("state", state.slice(0, -2) + (state.endsWith("A") ? "BB" : "AA"));
    await expectErrorPage(await call(url.toString()), 400, "state_invalid", /did not start here/);
    expect(await rawAccessRow("ws-tamper", "Xero")).toBeNull();
  });

  it("should refuse a replayed state", async () => {
    const { url } = await callbackUrl("ws-replay");
    expect((await call(url.toString())).status).toBe(200);
    await expectErrorPage(await call(url.toString()), 400, "state_invalid", /already used/);
  });

  it("should refuse an expired state", async () => {
    const { id } = await saveState(
      env.OAUTH_KV,
      {
        workspaceId: "ws-expired",
        userId: "u",
        integration: "Xero",
        codeVerifier: null,
        redirectUri: "https://integrations.example.test/integration/xero/callback",
        config: {},
        tokenOrigin: "https://identity.xero.com",
      },
      Date.now() - 11 * 60_000,
    );
    await expectErrorPage(
      await call(`/integration/xero/callback?state=${id}&code=whatever`),
      400,
      "state_invalid",
      /expired/,
    );
    expect(await rawAccessRow("ws-expired", "Xero")).toBeNull();
  });

  it("should refuse a state minted for another provider, and not let it be used afterwards", async () => {
    const { url } = await callbackUrl("ws-cross", "Gusto");
    const gustoCallback = url.toString();
    url.pathname = "/integration/xero/callback";
    await expectErrorPage(await call(url.toString()), 400, "state_invalid", /did not start here/);
    expect((await call(gustoCallback)).status).toBe(400);
    expect(await rawAccessRow("ws-cross", "Xero")).toBeNull();
    expect(await rawAccessRow("ws-cross", "Gusto")).toBeNull();
  });
});

describe("provider and token endpoint failures", () => {
  it("should show a fixed text for the provider's refusal, never the provider's own words, and store nothing", async () => {
    const { url } = await callbackUrl("ws-denied");
    url.searchParams.delete("code");
    url.searchParams.set("error", "access_denied");
    url.searchParams.set("error_description", "The user <b>denied</b> access, call 555-EVIL");
    const res = await call(url.toString());
    await expectErrorPage(res.clone(), 400, "provider_refused", /You did not allow access at Xero\./);
    const html = await res.text();
    expect(html).toContain('"error":"access_denied"');
    expect(html).not.toContain("denied</b>");
    expect(html).not.toContain("555-EVIL");
    expect(await rawAccessRow("ws-denied", "Xero")).toBeNull();
  });

  it("should map an unknown OAuth error code to a generic text and the code other", async () => {
    const { url } = await callbackUrl("ws-denied-odd");
    url.searchParams.delete("code");
    url.searchParams.set("error", "<script>x</script>");
    const res = await call(url.toString());
    await expectErrorPage(res.clone(), 400, "provider_refused", /Xero did not grant access\./);
    const html = await res.text();
    expect(html).toContain('"error":"other"');
    expect(html).not.toContain("<script>x");
  });

  it("should answer 400 when the token endpoint refuses the code (400 invalid_grant)", async () => {
    const { url, code } = await callbackUrl("ws-400");
    await scriptCode(code, [{ status: 400, error: "invalid_grant" }]);
    await expectErrorPage(await call(url.toString()), 400, "exchange_failed", /invalid_grant/);
    expect(await rawAccessRow("ws-400", "Xero")).toBeNull();
  });

  it("should answer 502 when the token endpoint fails (500)", async () => {
    const { url, code } = await callbackUrl("ws-500", "Gusto");
    await scriptCode(code, [{ status: 500 }]);
    await expectErrorPage(await call(url.toString()), 502, "exchange_failed", /could not complete the connection/);
    expect(await rawAccessRow("ws-500", "Gusto")).toBeNull();
  });

  it("should answer 400 when the PKCE verifier does not match (the fake checks it)", async () => {
    const { url } = await callbackUrl("ws-pkce");
    // Replaying the provider's redirect with a state from another login makes the verifier wrong.
    const other = await callbackUrl("ws-pkce");
    url.searchParams.set("state", other.state);
    await expectErrorPage(await call(url.toString()), 400, "exchange_failed", /invalid_grant/);
    expect(await rawAccessRow("ws-pkce", "Xero")).toBeNull();
  });
});

describe("a provider without client credentials", () => {
  const unconfigured = { ...env, XERO_CLIENT_ID: "", XERO_CLIENT_SECRET: "" } as Env;

  it("should be reported as not configured, naming the variables", () => {
    expect(resolveOAuthApp(providers.Xero, unconfigured)).toEqual({
      configured: false,
      missing: ["XERO_CLIENT_ID", "XERO_CLIENT_SECRET"],
    });
  });

  it("should answer 503 at login and be listed with configured: false", async () => {
    const app = createApp(unconfigured);
    const ctx = createExecutionContext();
    const bearer = await token({ "ws-unconf": "admin" });
    const loginRes = await app.fetch(
      new Request("https://integrations.example.test/integration/xero/login?workspace_id=ws-unconf", {
        headers: { Authorization: `Bearer ${bearer}` },
      }),
      unconfigured,
      ctx,
    );
    expect(loginRes.status).toBe(503);
    expect(await loginRes.json()).toEqual({
      error: {
        code: "provider_not_configured",
        message: "Xero is not configured: set XERO_CLIENT_ID and XERO_CLIENT_SECRET",
      },
    });
    const list = await app.fetch(
      new Request("https://integrations.example.test/integration/providers?workspace_id=ws-unconf", {
        headers: { Authorization: `Bearer ${bearer}` },
      }),
      unconfigured,
      ctx,
    );
    const body = await list.json<{ name: string; configured: boolean }[]>();
    expect(body.find((p) => p.name === "Xero")?.configured).toBe(false);
    expect(body.find((p) => p.name === "Gusto")?.configured).toBe(true);
    await waitOnExecutionContext(ctx);
  });

  it("should pick up URL overrides from variables alone", () => {
    const resolved = resolveOAuthApp(providers.Gusto, {
      ...env,
      GUSTO_SCOPES: "a b  c",
      GUSTO_API_BASE_URL: "https://x.test/api/",
    } as Env);
    expect(resolved.configured && resolved.app.scopes).toEqual(["a", "b", "c"]);
    expect(resolved.configured && resolved.app.apiBaseUrl).toBe("https://x.test/api");
    expect(resolved.configured && resolved.app.clientAuth).toBe("client_secret_post");
  });
});
