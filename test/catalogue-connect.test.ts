// Catalogue providers (no adapter, `apiType: null`) connect against the fake's generic OAuth server by
// configuration alone: connect session (with each connection config field's example), login, consent,
// callback, confirm. A provider with connectionConfig also needs connect sessions that take `config`:
// the two `it.fails` below pass while they ignore it and fail once they check it — then turn them into
// `it` (and assert where the stored config shows up).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import type { RegisteredProvider } from "../src/framework/provider";
import { providerList } from "../src/providers/registry";
import { db } from "../src/storage/db";
import { loadAccess } from "../src/workspace/integration-access";
import { consent, findGrant } from "./fake-client";
import { call, confirm, confirmTokenOf, errorOf, login, token } from "./helpers";

const catalogue = providerList.filter((p) => p.apiType === null && !p.developmentOnly);
const configured = catalogue.filter((p) => p.connectionConfig !== undefined);

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

    const data = await call(`/integration/data?workspace_id=${ws}&integration=${provider.name}&from_date=2024-01-01`, {
      bearer: await token({ [ws]: "member" }),
    });
    expect(data.status).toBe(400);
    expect((await errorOf(data)).code).toBe("invalid_request");
  });
});

describe.each(configured)("connection config of $name", (provider) => {
  const ws = `ws-catalogue-config-${provider.slug}`;
  const field = Object.keys(provider.connectionConfig ?? {})[0]!;

  // Needs connect sessions that check `config` (issue 12, part 2).
  it.fails("should refuse a session without its config, naming the field", async () => {
    const res = await startSession(ws, provider, {});
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain(field);
  });

  // Needs connect sessions that check `config` (issue 12, part 2).
  it.fails("should refuse a value its schema does not allow, naming the field", async () => {
    const res = await startSession(ws, provider, { ...exampleConfig(provider), [field]: "a.b/../c" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain(field);
  });
});
