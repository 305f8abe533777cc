// One contract over every registered provider (scaffolded ones included): its declaration, its
// routes, its login redirect and its place in the listing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { registerOAuthApp } from "../src/framework/oauth/app";
import type { OAuthApp } from "../src/framework/oauth/types";
import type { RegisteredProvider } from "../src/framework/provider";
import { providerList } from "../src/providers/registry";
import { call, login, token } from "./helpers";

/** The provider's resolved app; fails the test (rather than comparing two `false`s) when it is not configured. */
function configuredApp(provider: RegisteredProvider): OAuthApp {
  const resolution = registerOAuthApp(provider, env);
  if (!resolution.configured) throw new Error(`${provider.name} is not configured: ${resolution.missing.join(", ")}`);
  return resolution.app;
}

describe.each(providerList)("provider $name", (provider) => {
  it("should declare https endpoints", () => {
    const { oauth } = provider;
    for (const url of [
      oauth.authorizeUrl,
      oauth.tokenUrl,
      oauth.apiBaseUrl,
      ...(oauth.revokeUrl ? [oauth.revokeUrl] : []),
    ]) {
      expect(new URL(url).protocol).toBe("https:");
    }
  });

  it("should be configured from its <NAME>_* variables alone", () => {
    // The test configuration points every URL at the local fake server.
    expect(new URL(configuredApp(provider).tokenUrl).hostname).toBe("127.0.0.1");
  });

  it("should document its login and callback in the OpenAPI document", async () => {
    const doc = await (await call("/openapi.json")).json<{ paths: Record<string, unknown> }>();
    expect(doc.paths).toHaveProperty(`/integration/${provider.slug}/login`);
    expect(doc.paths).toHaveProperty(`/integration/${provider.slug}/callback`);
  });

  it("should redirect its login to the configured authorize URL with state and PKCE", async () => {
    const ws = `ws-contract-${provider.slug}`;
    const authorize = await login(`/integration/${provider.slug}/login?workspace_id=${ws}`, {
      bearer: await token({ [ws]: "member" }),
    });
    const app = configuredApp(provider);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(app.authorizeUrl);
    expect(authorize.searchParams.get("client_id")).toBe(app.clientId);
    expect(authorize.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    if (provider.oauth.pkce !== false) expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  });
});
