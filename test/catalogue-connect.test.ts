// Catalogue providers (no adapter, `apiType: null`) connect against the fake's generic OAuth server by
// configuration alone: connect session (with each connection config field's example), login, consent,
// callback, confirm; the config and the tenant (found by the provider's lookup or named on its
// redirect) are stored on the connection, and the proxy reaches the provider's API with them.
// test/connection-config.test.ts covers refused configs, test/tenant-pinning.test.ts the pinning.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import type { RegisteredProvider } from "../src/framework/provider";
import { providerList } from "../src/providers/registry";
import { db } from "../src/storage/db";
import { loadAccess } from "../src/workspace/integration-access";
import { authorization, consent, findGrant } from "./fake-client";
import { call, confirm, confirmTokenOf, connectSession, errorOf, login, token } from "./helpers";

const catalogue = providerList.filter((p) => p.apiType === null && !p.developmentOnly);

/** Each connection config field's example: a valid `config` for the provider. */
function exampleConfig(provider: RegisteredProvider): Record<string, string> {
  return Object.fromEntries(Object.entries(provider.connectionConfig ?? {}).map(([k, f]) => [k, f.example]));
}

/** POST /integration/connect-sessions with `config`, as the host app does for such a provider. */
async function startSession(workspaceId: string, provider: RegisteredProvider, config: Record<string, string>) {
  return call("/integration/connect-sessions", {
    method: "POST",
    bearer: await token({ [workspaceId]: "member" }),
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ workspace_id: workspaceId, integration: provider.name, config }),
  });
}

describe.each(catalogue)("catalogue provider $name", (provider) => {
  const ws = `ws-catalogue-${provider.slug}`;

  it("should connect through the popup, store the grant's tokens and serve no data", async () => {
    const session = await startSession(ws, provider, exampleConfig(provider));
    expect(session.status).toBe(201);
    const authorize = await login((await session.json<{ url: string }>()).url);
    expect(authorize.pathname).toBe(`/generic/${provider.slug}/authorize`);
    const { location, code } = await consent(authorize.toString());
    const html = await (await call(location.toString())).text();
    const confirmToken = confirmTokenOf(html);
    expect(confirmToken, html.slice(0, 300)).not.toBeNull();
    const confirmed = await confirm(ws, provider.name, confirmToken!);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ name: provider.name, connected: true, api_type: null });

    const grant = (await findGrant({ code: code! }))!;
    const access = await loadAccess(db(env.DB), await keyRingFromEnv(env), ws, provider.name);
    expect(access?.tokens.accessToken).toBe(grant.currentAccessToken);
    expect(access?.tokens.refreshToken).toBe(grant.currentRefreshToken);
    expect(access?.config).toEqual(exampleConfig(provider));
    // A provider with tenants records the one connected, with its name; the others have none.
    const tenanted = provider.lookupTenants !== undefined || provider.tenantFromCallback !== undefined;
    const [tenant] = grant.tenants;
    expect({ id: access?.tenantId, name: access?.tenantName }).toEqual(
      tenanted ? { id: tenant!.id, name: tenant!.name } : { id: "", name: null },
    );

    // The proxy reaches the API with the connection (the generic fake answers /me with its tenant).
    const proxied = await call(`/integration/proxy/${provider.name}/me?workspace_id=${ws}`, {
      bearer: await token({ [ws]: "member" }),
    });
    expect(proxied.status).toBe(200);
    expect(proxied.headers.get("X-Proxied-By")).toBe("zebbra-integrations");
    expect(await proxied.json()).toEqual({ id: grant.tenantIds[0] ?? null });

    const data = await call(`/integration/data?workspace_id=${ws}&integration=${provider.name}&from_date=2024-01-01`, {
      bearer: await token({ [ws]: "member" }),
    });
    expect(data.status).toBe(400);
    expect((await errorOf(data)).code).toBe("invalid_request");
    const manual = await call(`/integration/fetch?workspace_id=${ws}&integration=${provider.name}`, {
      method: "POST",
      bearer: await token({ [ws]: "admin" }),
    });
    expect(manual.status).toBe(400);
    expect((await errorOf(manual)).message).toMatch(/no data adapter/);
  });
});

describe("MYOB's company file", () => {
  it("should come from the redirect's businessId and businessName", async () => {
    const authorize = await login(await connectSession("ws-myob-file", "MYOB"));
    const { location, code } = await consent(authorize.toString());
    const businessId = location.searchParams.get("businessId");
    expect(businessId).toMatch(/^[0-9a-f-]{36}$/);
    const confirmed = await confirm(
      "ws-myob-file",
      "MYOB",
      confirmTokenOf(await (await call(location.toString())).text())!,
    );
    expect(await confirmed.json()).toMatchObject({
      connections: [{ tenant_id: businessId, tenant_name: location.searchParams.get("businessName") }],
    });
    expect((await authorization(code!)).used).toBe(true);
  });

  it.each([
    ["missing", null],
    ["not a GUID", "../accountright"],
  ])("should refuse a businessId that is %s, exchanging and storing nothing", async (_, businessId) => {
    const ws = `ws-myob-${businessId === null ? "none" : "bad"}`;
    const { location, code } = await consent((await login(await connectSession(ws, "MYOB"))).toString());
    if (businessId === null) location.searchParams.delete("businessId");
    else location.searchParams.set("businessId", businessId);
    const res = await call(location.toString());
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('"code":"tenant_invalid"');
    expect((await authorization(code!)).used).toBe(false);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM integration_access WHERE workspace_id = ?")
      .bind(ws)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });
});
