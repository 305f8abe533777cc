// The proxy pins each connection's tenant where its provider takes it (a header, a query parameter, a
// path position), whatever the caller sends: a value naming the connection's tenant passes, one naming
// another is refused before anything is sent, even another tenant the same grant covers. The rule
// itself (pinTenant), then each kind through the proxy against the fake providers, then the catalogue
// providers' tenant lookups on grants covering two tenants.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import type { TenantPin } from "../src/framework/provider";
import { createProviderApi } from "../src/framework/provider-http";
import { pinTenant, tenantPathProblem } from "../src/framework/proxy";
import { providers } from "../src/providers/registry";
import { db } from "../src/storage/db";
import { storeAccess } from "../src/workspace/integration-access";
import { createGrant, findGrant, type MintedGrant, providerUrls, stats, tenantRequests } from "./fake-client";
import { call, connectThroughPopup, errorOf, seedConnection, token } from "./helpers";

const parts = (path: string, query = "", headers: Record<string, string> = {}) => ({ path, query, headers });
const QUICKBOOKS: TenantPin = { path: "v3/company/{tenant}", prefix: true };
const FRESHBOOKS: TenantPin = { path: "accounting/account/{tenant}", prefix: false };
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const MYOB: TenantPin = { path: "{tenant}", prefix: true, id: GUID };
const FILE = "5d4b1ce0-bb9f-4f4c-9578-2b168b7295db";
const OTHER_FILE = "0f4b1ce0-bb9f-4f4c-9578-2b168b7295db";

describe("pinTenant", () => {
  it("should set a header pin, pass the same value and refuse another, naming the header", () => {
    const pin: TenantPin = { header: "X-Business" };
    expect(pinTenant(pin, "b1", parts("contacts", "", { accept: "application/json" }))).toEqual({
      ok: true,
      call: parts("contacts", "", { accept: "application/json", "x-business": "b1" }),
    });
    expect(pinTenant(pin, "b1", parts("contacts", "", { "x-business": "b1" }))).toMatchObject({ ok: true });
    const refused = pinTenant(pin, "b1", parts("contacts", "", { "x-business": "b2" }));
    expect(refused).toMatchObject({ ok: false, message: expect.stringContaining("X-Business") as string });
    expect(pinTenant(pin, "b1", parts("contacts", "", { "x-business": "b1, b2" })).ok).toBe(false);
  });

  it("should add a query pin once, pass the same value and refuse another in any spelling", () => {
    const pin: TenantPin = { query: "organization_id" };
    expect(pinTenant(pin, "700", parts("invoices", "page=2"))).toMatchObject({
      ok: true,
      call: { query: "page=2&organization_id=700" },
    });
    expect(pinTenant(pin, "700", parts("invoices", "organization_id=700&organization_id=700"))).toMatchObject({
      ok: true,
      call: { query: "organization_id=700" },
    });
    for (const query of ["organization_id=800", "organization_id=700&organization_id=800", "Organization_ID=800"])
      expect(pinTenant(pin, "700", parts("invoices", query)), query).toMatchObject({
        ok: false,
        message: expect.stringContaining("organization_id") as string,
      });
  });

  it("should put a path under the tenant's prefix, keep one already under it and refuse another tenant's", () => {
    expect(pinTenant(QUICKBOOKS, "123", parts("query"))).toMatchObject({
      ok: true,
      call: { path: "v3/company/123/query" },
    });
    expect(pinTenant(QUICKBOOKS, "123", parts("v3/company/123/companyinfo/123"))).toMatchObject({
      ok: true,
      call: { path: "v3/company/123/companyinfo/123" },
    });
    // However the caller spells the segments a server reads as the same path.
    for (const path of ["v3/company/999/query", "V3/Company/999/query", "%763/company/999", "v3/company/%39%39"])
      expect(pinTenant(QUICKBOOKS, "123", parts(path)), path).toMatchObject({ ok: false });
    expect(pinTenant(QUICKBOOKS, "123", parts("v3/company/%E0%A4%A/x"))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/percent-encoding/) as string,
    });
  });

  it("should leave a path naming no tenant alone when the pin does not prefix", () => {
    expect(pinTenant(FRESHBOOKS, "ABC123", parts("auth/api/v1/users/me"))).toMatchObject({
      ok: true,
      call: { path: "auth/api/v1/users/me" },
    });
    expect(pinTenant(FRESHBOOKS, "ABC123", parts("accounting/account/ABC123/invoices/invoices")).ok).toBe(true);
    expect(pinTenant(FRESHBOOKS, "ABC123", parts("accounting/account/XYZ789/invoices/invoices")).ok).toBe(false);
    expect(pinTenant(FRESHBOOKS, "ABC123", parts("accounting/account/XYZ789")).ok).toBe(false);
  });

  it("should tell a tenant id from a resource by the pin's id pattern", () => {
    expect(pinTenant(MYOB, FILE, parts("GeneralLedger/Account"))).toMatchObject({
      ok: true,
      call: { path: `${FILE}/GeneralLedger/Account` },
    });
    expect(pinTenant(MYOB, FILE, parts(`${FILE}/GeneralLedger/Account`))).toMatchObject({
      ok: true,
      call: { path: `${FILE}/GeneralLedger/Account` },
    });
    expect(pinTenant(MYOB, FILE, parts(`${OTHER_FILE}/GeneralLedger/Account`)).ok).toBe(false);
  });

  it("should find a path pin malformed unless {tenant} is its last segment, and only there", () => {
    expect(tenantPathProblem("v3/company/{tenant}")).toBeNull();
    for (const path of ["v3/{tenant}/company", "v3/company", "{tenant}/{tenant}", "a//{tenant}"])
      expect(tenantPathProblem(path), path).not.toBeNull();
  });
});

/** Mints a grant covering two tenants at the fake and stores a connection to the second, as a confirm would. */
async function seedSecondTenant(
  ws: string,
  integration: "Sage" | "ZohoBooks" | "FreshBooks",
  config: Record<string, string> = {},
): Promise<MintedGrant> {
  const grant = await createGrant({ provider: `generic:${integration.toLowerCase()}`, tenants: [{}, {}] });
  const now = Date.now();
  await storeAccess(db(env.DB), await keyRingFromEnv(env), {
    workspaceId: ws,
    integration,
    tokens: { accessToken: grant.access_token, refreshToken: grant.refresh_token, tokenType: "Bearer" },
    expiresAt: now + 1800_000,
    scope: grant.scope,
    tenantId: grant.tenantIds[1]!,
    additionalInfo: {},
    config,
    tokensIssuedAt: now,
  });
  return grant;
}

async function proxy(ws: string, path: string, init: RequestInit = {}): Promise<Response> {
  return call(`/integration/proxy/${path}${path.includes("?") ? "&" : "?"}workspace_id=${ws}`, {
    ...init,
    bearer: await token({ [ws]: "member" }),
  });
}

/** A refused call: 400 invalid_request naming `what`, and nothing sent to the provider. */
async function expectRefused(res: Response, grantId: string, sentBefore: number, what: string) {
  expect(res.status).toBe(400);
  expect(res.headers.get("X-Proxied-By")).toBeNull();
  const error = await errorOf(res);
  expect(error.code).toBe("invalid_request");
  expect(error.message).toContain(what);
  expect((await stats(grantId)).apiRequests).toBe(sentBefore);
}

describe("the proxy pins the connection's tenant", () => {
  it("Sage: sets X-Business to the connection's business and refuses another business of the same grant", async () => {
    const ws = "ws-pin-sage";
    const grant = await seedSecondTenant(ws, "Sage");
    const [other, mine] = grant.tenantIds as [string, string];

    const res = await proxy(ws, "Sage/me");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: mine });
    const [sent] = await tenantRequests(mine);
    expect(sent!.headers["x-business"]).toBe(mine);

    await expectRefused(
      await proxy(ws, "Sage/me", { headers: { "X-Business": other } }),
      grant.grantId,
      1,
      "X-Business",
    );
    const same = await proxy(ws, "Sage/me", { headers: { "X-Business": mine } });
    expect(await same.json()).toEqual({ id: mine });
    expect(await tenantRequests(other)).toEqual([]);
  });

  it("Zoho Books: adds organization_id, refuses another organization and passes the connection's", async () => {
    const ws = "ws-pin-zoho";
    const grant = await seedSecondTenant(ws, "ZohoBooks", { dc: "eu" });
    const [other, mine] = grant.tenantIds as [string, string];

    expect(await (await proxy(ws, "ZohoBooks/me?page=2")).json()).toEqual({ id: mine });
    expect((await tenantRequests(mine))[0]!.query).toEqual({ page: "2", organization_id: mine });

    await expectRefused(await proxy(ws, `ZohoBooks/me?organization_id=${other}`), grant.grantId, 1, "organization_id");
    const same = await proxy(ws, `ZohoBooks/me?organization_id=${mine}`);
    expect(await same.json()).toEqual({ id: mine });
    expect((await tenantRequests(mine)).at(-1)!.query).toEqual({ organization_id: mine });
  });

  it("FreshBooks: refuses another account's accounting path and passes paths of no account", async () => {
    const ws = "ws-pin-freshbooks";
    const grant = await seedSecondTenant(ws, "FreshBooks");
    const [other, mine] = grant.tenantIds as [string, string];
    await expectRefused(
      await proxy(ws, `FreshBooks/accounting/account/${other}/invoices/invoices`),
      grant.grantId,
      0,
      "accounting/account/{tenant}",
    );
    const own = await proxy(ws, `FreshBooks/accounting/account/${mine}/invoices/invoices`);
    expect(own.headers.get("X-Proxied-By")).toBe("zebbra-integrations");
    expect((await tenantRequests(mine))[0]!.path).toBe(`/accounting/account/${mine}/invoices/invoices`);
    const identity = await proxy(ws, "FreshBooks/auth/api/v1/users/me");
    expect(identity.status).toBe(200);
  });

  it("Xero: forces the connection's organisation and refuses the practice the same grant covers", async () => {
    const ws = "ws-pin-xero";
    const grant = await seedConnection(ws, "xero");
    const [practice, organisation] = grant.tenantIds as [string, string];
    const report = "Xero/api.xro/2.0/Reports/ProfitAndLoss";
    await expectRefused(
      await proxy(ws, report, { headers: { "Xero-Tenant-Id": practice } }),
      grant.grantId,
      0,
      "Xero-Tenant-Id",
    );
    const same = await proxy(ws, report, { headers: { "Xero-Tenant-Id": organisation, Accept: "application/json" } });
    expect(same.status).toBe(200);
    expect((await tenantRequests(organisation))[0]!.headers["xero-tenant-id"]).toBe(organisation);
    expect(await tenantRequests(practice)).toEqual([]);
  });

  it("QuickBooks: keeps a path already under the connection's realm and refuses another realm's", async () => {
    const ws = "ws-pin-qbo";
    const { code } = await connectThroughPopup(ws, "QuickBooks");
    const grant = (await findGrant({ code }))!;
    const realm = grant.tenantIds[0]!;
    const before = (await stats(grant.grantId)).apiRequests;

    const info = await proxy(ws, `QuickBooks/v3/company/${realm}/companyinfo/${realm}`);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ CompanyInfo: { CompanyName: "Sandbox Company_US_1" } });
    expect((await tenantRequests(realm)).at(-1)!.path).toBe(`/v3/company/${realm}/companyinfo/${realm}`);

    await expectRefused(
      await proxy(ws, "QuickBooks/v3/company/9130000000000001/query?query=select"),
      grant.grantId,
      before + 1,
      "v3/company/{tenant}",
    );
  });

  it("should answer reconnect_required for a connection that names no tenant, sending nothing", async () => {
    const ws = "ws-pin-none";
    const grant = await createGrant({ provider: "generic:sage" });
    const now = Date.now();
    await storeAccess(db(env.DB), await keyRingFromEnv(env), {
      workspaceId: ws,
      integration: "Sage",
      tokens: { accessToken: grant.access_token, refreshToken: grant.refresh_token, tokenType: "Bearer" },
      expiresAt: now + 1800_000,
      scope: grant.scope,
      tenantId: "",
      additionalInfo: {},
      tokensIssuedAt: now,
    });
    const res = await proxy(ws, "Sage/me", { headers: { "X-Business": grant.tenantIds[0]! } });
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: "reconnect_required" });
    expect((await stats(grant.grantId)).apiRequests).toBe(0);
  });
});

describe.each([
  ["Sage", providers.Sage],
  ["FreshBooks", providers.FreshBooks],
  ["ZohoBooks", providers.ZohoBooks],
] as const)("%s's tenant lookup", (name, provider) => {
  it("should list every tenant of a grant covering two, with their names, for the choice at confirm", async () => {
    const key = `generic:${name.toLowerCase()}` as const;
    const grant = await createGrant({ provider: key, tenants: [{}, {}] });
    const api = createProviderApi(providerUrls(key).apiBaseUrl, grant.access_token);
    const tokens = {
      accessToken: grant.access_token,
      refreshToken: null,
      tokenType: "Bearer",
      expiresAt: null,
      scope: null,
    };
    const tenants = await provider.lookupTenants(api, tokens);
    expect(tenants.map((t) => ({ id: t.tenantId, name: t.tenantName }))).toEqual(
      grant.tenants.map((t) => ({ id: t.id, name: t.name })),
    );
    expect(new Set(grant.tenants.map((t) => t.name)).size).toBe(2);
  });
});
