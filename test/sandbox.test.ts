// The sandbox's authorization server and API under /sandbox/, as a provider's client meets them
// over HTTP: the consent form and its company ticks, the code grant with PKCE S256, rotating refresh
// tokens with reuse detection, RFC 7009 revocation, the data API's tokens, scopes and companies, and
// the sandbox providers' tenant lookup. Outside development, none of it exists.
import { env } from "cloudflare:workers";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { sha256 } from "@oslojs/crypto/sha2";
import { describe, expect, it } from "vitest";
import data from "../src/edge/sandbox/data.json";
import { providerVar, resolveOAuthApp } from "../src/framework/oauth/app";
import type { RegisteredProvider } from "../src/framework/provider";
import type { ProviderApi, RequestOptions } from "../src/framework/provider-http";
import { providers } from "../src/providers/registry";
import { call, callDevelopment, developmentEnv, errorOf } from "./helpers";

/** The sandbox provider's app registration, as the worker reads it. */
const client = (provider: RegisteredProvider) => ({
  id: providerVar(provider, "CLIENT_ID", developmentEnv) ?? "",
  secret: providerVar(provider, "CLIENT_SECRET", developmentEnv) ?? "",
});
const CLIENT = client(providers.Sandbox);
const PAYROLL = client(providers.SandboxPayroll);
const REDIRECT = "https://integrations.example.test/integration/sandbox/callback";
const PAYROLL_REDIRECT = "https://integrations.example.test/integration/sandboxpayroll/callback";
const [TRADING, HOLDINGS] = data.companies as [(typeof data.companies)[number], (typeof data.companies)[number]];
const BOTH = [TRADING.id, HOLDINGS.id];

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

const challengeOf = (verifier: string) => encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)));

/** A valid authorize request of the Sandbox app, without a state. */
const VALID = {
  response_type: "code",
  client_id: CLIENT.id,
  redirect_uri: REDIRECT,
  scope: "accounting.read",
  code_challenge: challengeOf("v".repeat(43)),
  code_challenge_method: "S256",
};

function authorizeUrl(params: Record<string, string | undefined>): string {
  const url = new URL("/sandbox/oauth/authorize", "https://integrations.example.test");
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.pathname + url.search;
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
});

const basic = (client: { id: string; secret: string }) => ({
  Authorization: `Basic ${btoa(`${client.id}:${client.secret}`)}`,
});

/** The companies the page's checkboxes name, and those ticked. */
function boxesOf(html: string): { offered: string[]; ticked: string[] } {
  const boxes = [...html.matchAll(/<input type="checkbox" name="company" value="([^"]+)"( checked)?>/g)];
  return { offered: boxes.map((m) => m[1]!), ticked: boxes.filter((m) => m[2]).map((m) => m[1]!) };
}

/** Posts the consent form: `companies` as the ticked boxes, each its own `company` field. */
function answer(consent: string, decision: "approve" | "deny", companies: readonly string[]): Promise<Response> {
  const body = new URLSearchParams({ consent, decision });
  for (const id of companies) body.append("company", id);
  return callDevelopment("/sandbox/oauth/authorize", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: body.toString(),
    redirect: "manual",
  });
}

/**
 * Opens the consent page for a valid request and answers it, with the boxes a person left ticked
 * (`companies`; by default those the page ticks); returns the redirect.
 */
async function decide(
  decision: "approve" | "deny",
  options: {
    verifier?: string;
    client?: { id: string };
    redirect?: string;
    scope?: string;
    companies?: readonly string[];
  } = {},
): Promise<URL> {
  const page = await callDevelopment(
    authorizeUrl({
      response_type: "code",
      client_id: (options.client ?? CLIENT).id,
      redirect_uri: options.redirect ?? REDIRECT,
      state: "state-1",
      scope: options.scope ?? "accounting.read",
      code_challenge: challengeOf(options.verifier ?? "verifier-0123456789-0123456789-0123456789"),
      code_challenge_method: "S256",
    }),
  );
  expect(page.status).toBe(200);
  const html = await page.text();
  const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1];
  expect(consent).toBeDefined();
  const res = await answer(consent!, decision, options.companies ?? boxesOf(html).ticked);
  expect(res.status).toBe(303);
  return new URL(res.headers.get("Location")!);
}

async function tokenCall(fields: Record<string, string>, client = CLIENT): Promise<Response> {
  return callDevelopment("/sandbox/oauth/token", form(fields, basic(client)));
}

/** The token call that exchanges `code` (of the Sandbox app) with `verifier`. */
const exchange = (code: string, verifier: string) =>
  tokenCall({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier });

async function connect(
  verifier = "verifier-0123456789-0123456789-0123456789",
  companies?: readonly string[],
): Promise<Tokens> {
  const code = (await decide("approve", { verifier, companies })).searchParams.get("code")!;
  const res = await exchange(code, verifier);
  expect(res.status).toBe(200);
  return res.json<Tokens>();
}

/** A sandbox API call; `company` goes in the Sandbox-Company-Id header. */
const api = (path: string, accessToken: string, company?: string) =>
  callDevelopment(`/sandbox/api${path}`, {
    headers: { Authorization: `Bearer ${accessToken}`, ...(company ? { "Sandbox-Company-Id": company } : {}) },
  });

/** The sandbox's API as a provider's hooks see it, reached through the development app. */
function providerApi(accessToken: string): ProviderApi {
  const get = async (path: string, options: RequestOptions = {}) => {
    const query = new URLSearchParams(Object.entries(options.query ?? {}).map(([k, v]) => [k, String(v)]));
    const res = await callDevelopment(`/sandbox/api${path}?${query.toString()}`, {
      headers: { Authorization: `Bearer ${accessToken}`, ...options.headers },
    });
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    return { body: await res.json(), headers: res.headers };
  };
  return {
    baseUrl: "https://integrations.example.test/sandbox/api",
    get: async (path, options) => (await get(path, options)).body,
    getWithHeaders: get,
    delete: () => Promise.reject(new Error("the sandbox API has no DELETE")),
  };
}

/** Tokens of the SandboxPayroll app for the companies ticked. */
async function connectPayroll(companies: readonly string[]): Promise<Tokens> {
  const verifier = "payroll-verifier-long-enough-0123456789abcdef";
  const code = (
    await decide("approve", { verifier, client: PAYROLL, redirect: PAYROLL_REDIRECT, scope: "payroll.read", companies })
  ).searchParams.get("code")!;
  const res = await callDevelopment(
    "/sandbox/oauth/token",
    form({
      grant_type: "authorization_code",
      code,
      redirect_uri: PAYROLL_REDIRECT,
      code_verifier: verifier,
      client_id: PAYROLL.id,
      client_secret: PAYROLL.secret,
    }),
  );
  expect(res.status).toBe(200);
  return res.json<Tokens>();
}

describe("the sandbox outside development", () => {
  it("should answer 404 on every sandbox route", async () => {
    expect(env.ENVIRONMENT).not.toBe("development");
    for (const [path, method] of [
      ["/sandbox/oauth/authorize?client_id=x", "GET"],
      ["/sandbox/oauth/authorize", "POST"],
      ["/sandbox/oauth/token", "POST"],
      ["/sandbox/oauth/revoke", "POST"],
      ["/sandbox/api/v1/company", "GET"],
      ["/sandbox/api/v1/companies", "GET"],
      ["/sandbox/api/v1/reports/monthly?from=2024-01&to=2024-12", "GET"],
      ["/sandbox/api/v1/employees", "GET"],
    ] as const) {
      const res = await call(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await errorOf(res)).code).toBe("not_found");
    }
  });
});

describe("the sandbox's authorize page", () => {
  it("should ask with plain form buttons (no script) and redirect an approval with a code and the state", async () => {
    const page = await callDevelopment(authorizeUrl({ ...VALID, state: "s" }));
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/sandbox/oauth/authorize">');
    expect(html).toContain('<button type="submit" name="decision" value="approve">Approve</button>');
    expect(html).toContain('<button type="submit" name="decision" value="deny">Deny</button>');
    expect(html).not.toContain("<script");
    expect(page.headers.get("Content-Security-Policy")).toContain(
      "form-action 'self' https://integrations.example.test",
    );
    const approved = await decide("approve");
    expect(`${approved.origin}${approved.pathname}`).toBe(REDIRECT);
    expect(approved.searchParams.get("code")).toMatch(/^sbx_code_/);
    expect(approved.searchParams.get("state")).toBe("state-1");
  });

  it("should redirect a denial with access_denied and the state", async () => {
    const denied = await decide("deny");
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("state")).toBe("state-1");
    expect(denied.searchParams.has("code")).toBe(false);
  });

  it("should accept each consent form once", async () => {
    const page = await callDevelopment(authorizeUrl({ ...VALID }));
    const consent = /name="consent" value="([^"]+)"/.exec(await page.text())![1]!;
    const first = await answer(consent, "approve", [TRADING.id]);
    expect(first.status).toBe(303);
    const again = await answer(consent, "approve", [TRADING.id]);
    expect(again.status).toBe(400);
    expect(again.headers.get("Location")).toBeNull();
  });

  it.each([
    ["an unknown client", { client_id: "nobody" }],
    ["another redirect URI", { redirect_uri: "https://attacker.example/callback" }],
    ["the other app's redirect URI", { redirect_uri: PAYROLL_REDIRECT }],
  ])("should refuse %s on the page itself, never redirecting", async (_, change) => {
    const res = await callDevelopment(authorizeUrl({ ...VALID, ...change }), { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
  });

  it.each([
    ["no PKCE", { code_challenge: undefined }, "invalid_request"],
    ["plain PKCE", { code_challenge_method: "plain" }, "invalid_request"],
    ["an unknown scope", { scope: "accounting.write" }, "invalid_scope"],
    ["another response type", { response_type: "token" }, "unsupported_response_type"],
  ])("should send %s back to the app as an OAuth error", async (_, change, error) => {
    const res = await callDevelopment(authorizeUrl({ ...VALID, state: "st", ...change }), { redirect: "manual" });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get("Location")!);
    expect(back.searchParams.get("error")).toBe(error);
    expect(back.searchParams.get("state")).toBe("st");
  });
});

describe("the sandbox's token endpoint", () => {
  it("should exchange a code once, with the right PKCE verifier, for two-minute tokens", async () => {
    const verifier = "a-verifier-that-is-long-enough-0123456789abc";
    const code = (await decide("approve", { verifier })).searchParams.get("code")!;
    const wrong = await exchange(code, "x".repeat(43));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: "invalid_grant" });
    const res = await exchange(code, verifier);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const tokens = await res.json<Tokens>();
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 120, scope: "accounting.read" });
    expect(tokens.access_token).toMatch(/^sbx_at_/);
    expect(tokens.refresh_token).toMatch(/^sbx_rt_/);
    expect((await api("/v1/company", tokens.access_token)).status).toBe(200);

    // A second use of the code fails and revokes what the first use issued (RFC 6749 §4.1.2).
    const replay = await exchange(code, verifier);
    expect(await replay.json()).toMatchObject({ error: "invalid_grant" });
    expect((await api("/v1/company", tokens.access_token)).status).toBe(401);
  });

  it("should refuse a code without a verifier, with another redirect URI, or for another client", async () => {
    const verifier = "another-verifier-long-enough-0123456789abcd";
    const code = (await decide("approve", { verifier })).searchParams.get("code")!;
    const missing = await tokenCall({ grant_type: "authorization_code", code, redirect_uri: REDIRECT });
    expect(await missing.json()).toMatchObject({ error: "invalid_request" });
    const redirect = await tokenCall({
      grant_type: "authorization_code",
      code,
      redirect_uri: PAYROLL_REDIRECT,
      code_verifier: verifier,
    });
    expect(await redirect.json()).toMatchObject({ error: "invalid_grant" });
    const other = await tokenCall(
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier },
      PAYROLL,
    );
    expect(await other.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("should authenticate the client by Basic or by form, answering 401 invalid_client otherwise", async () => {
    const bad = await callDevelopment(
      "/sandbox/oauth/token",
      form({ grant_type: "refresh_token", refresh_token: "x" }, basic({ id: CLIENT.id, secret: "wrong" })),
    );
    expect(bad.status).toBe(401);
    expect(bad.headers.get("WWW-Authenticate")).toContain("Basic");
    expect(await bad.json()).toMatchObject({ error: "invalid_client" });
    const byForm = await callDevelopment(
      "/sandbox/oauth/token",
      form({
        grant_type: "refresh_token",
        refresh_token: "unknown",
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
      }),
    );
    expect(byForm.status).toBe(400);
    expect(await byForm.json()).toMatchObject({ error: "invalid_grant" });
    const json = await callDevelopment("/sandbox/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...basic(CLIENT) },
      body: JSON.stringify({ grant_type: "refresh_token" }),
    });
    expect(await json.json()).toMatchObject({ error: "invalid_request" });
    const grant = await tokenCall({ grant_type: "password" });
    expect(await grant.json()).toMatchObject({ error: "unsupported_grant_type" });
  });

  it("should rotate refresh tokens and revoke the grant when an old one comes back", async () => {
    const first = await connect();
    const second = await (
      await tokenCall({ grant_type: "refresh_token", refresh_token: first.refresh_token })
    ).json<Tokens>();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect((await api("/v1/company", second.access_token)).status).toBe(200);

    const reused = await tokenCall({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: "invalid_grant" });
    // Reuse means theft: the whole grant is gone, the newest tokens included.
    expect((await api("/v1/company", second.access_token)).status).toBe(401);
    const newest = await tokenCall({ grant_type: "refresh_token", refresh_token: second.refresh_token });
    expect(await newest.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("should revoke a grant by its refresh token (RFC 7009), and answer 200 for an unknown token", async () => {
    const tokens = await connect();
    const res = await callDevelopment("/sandbox/oauth/revoke", form({ token: tokens.refresh_token }, basic(CLIENT)));
    expect(res.status).toBe(200);
    expect((await api("/v1/company", tokens.access_token)).status).toBe(401);
    const unknown = await callDevelopment("/sandbox/oauth/revoke", form({ token: "sbx_rt_unknown" }, basic(CLIENT)));
    expect(unknown.status).toBe(200);
  });
});

describe("the sandbox's API", () => {
  it("should refuse a missing or unknown bearer token with 401 and WWW-Authenticate", async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: "Bearer sbx_at_nope" }];
    for (const headers of attempts) {
      const res = await callDevelopment("/sandbox/api/v1/company", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
      expect((await errorOf(res)).code).toBe("invalid_token");
    }
  });

  it("should serve the recorded month, grown from the recording's year, and only past months", async () => {
    const { access_token } = await connect();
    const res = await api("/v1/reports/monthly?from=2025-01&to=2025-12", access_token);
    expect(res.status).toBe(200);
    const report = await res.json<{ months: string[]; lines: { title: string; values: number[] }[] }>();
    expect(report.months[0]).toBe("2025-01-31");
    expect(report.months[2]).toBe("2025-03-31");
    const sales = data.lines.find((l) => l.title === "Sales")!;
    const growth = (1 + data.growthPerYear) ** (2025 - data.baseYear + 2 / 12);
    expect(report.lines.find((l) => l.title === "Sales")!.values[2]).toBeCloseTo(sales.byMonth[2]! * growth, 2);
    expect(report.lines.every((l) => l.values.length === report.months.length)).toBe(true);

    const future = new Date().getUTCFullYear() + 1;
    const ahead = await (
      await api(`/v1/reports/monthly?from=${future}-01&to=${future}-12`, access_token)
    ).json<{
      months: string[];
    }>();
    expect(ahead.months).toEqual([]);
  });

  it.each([
    ["more than twelve months", "from=2024-01&to=2025-01"],
    ["from after to", "from=2024-05&to=2024-04"],
    ["not a month", "from=2024-13&to=2024-12"],
    ["no range", ""],
  ])("should answer 400 for %s", async (_, query) => {
    const { access_token } = await connect();
    const res = await api(`/v1/reports/monthly?${query}`, access_token);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("invalid_request");
  });

  it("should keep each API to its scope and page the employees", async () => {
    const accounting = await connect();
    const denied = await api("/v1/employees", accounting.access_token);
    expect(denied.status).toBe(403);
    expect(denied.headers.get("WWW-Authenticate")).toContain("insufficient_scope");

    const payroll = await connectPayroll([TRADING.id]);
    expect((await api("/v1/reports/monthly?from=2024-01&to=2024-12", payroll.access_token)).status).toBe(403);
    const first = await (
      await api("/v1/employees?per_page=5", payroll.access_token)
    ).json<{
      employees: { id: string }[];
      total_pages: number;
    }>();
    expect(first.employees).toHaveLength(5);
    expect(first.total_pages).toBe(Math.ceil(data.employees.length / 5));
    const last = await (
      await api(`/v1/employees?per_page=5&page=${first.total_pages}`, payroll.access_token)
    ).json<{
      employees: unknown[];
    }>();
    expect(last.employees).toHaveLength(data.employees.length - 5 * (first.total_pages - 1));
  });
});

describe("the sandbox's companies", () => {
  it("should offer every company as a checkbox, the first ticked, and grant the first alone on a plain Approve", async () => {
    const html = await (await callDevelopment(authorizeUrl({ ...VALID }))).text();
    expect(boxesOf(html)).toEqual({ offered: BOTH, ticked: [TRADING.id] });
    expect(html).toContain(`> ${HOLDINGS.name}</label>`);
    const { access_token } = await connect();
    const res = await api("/v1/companies", access_token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ companies: [{ id: TRADING.id, name: TRADING.name, currency: "GBP" }] });
    // One company: a call need not name it.
    expect(await (await api("/v1/company", access_token)).json()).toMatchObject({ id: TRADING.id });
  });

  it("should show the page again, with its error, when Approve comes with no company ticked", async () => {
    const page = await callDevelopment(authorizeUrl({ ...VALID, state: "s" }));
    const consent = /name="consent" value="([^"]+)"/.exec(await page.text())![1]!;
    const none = await answer(consent, "approve", []);
    expect(none.status).toBe(400);
    expect(none.headers.get("Location")).toBeNull();
    const html = await none.text();
    expect(html).toContain("Tick at least one company");
    expect(boxesOf(html)).toEqual({ offered: BOTH, ticked: [] });
    // The request is held again under a new id: answering the corrected form goes on as usual.
    const again = /name="consent" value="([^"]+)"/.exec(html)![1]!;
    expect(again).not.toBe(consent);
    const approved = await answer(again, "approve", [HOLDINGS.id]);
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get("Location")!).searchParams.get("state")).toBe("s");
  });

  it("should refuse a form that names a company the sandbox does not have", async () => {
    const page = await callDevelopment(authorizeUrl({ ...VALID }));
    const consent = /name="consent" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await answer(consent, "approve", [TRADING.id, "someone-elses-ltd"]);
    expect(res.status).toBe(400);
    expect(res.headers.get("Location")).toBeNull();
  });

  it("should grant both companies when both are ticked, each with books of its own", async () => {
    const { access_token } = await connect("both-verifier-long-enough-0123456789abcdefgh", BOTH);
    const listed = await (
      await api("/v1/companies", access_token)
    ).json<{ companies: { id: string; name: string }[] }>();
    expect(listed.companies.map((k) => [k.id, k.name])).toEqual([
      [TRADING.id, TRADING.name],
      [HOLDINGS.id, HOLDINGS.name],
    ]);

    // Two companies: a call must say which.
    const unnamed = await api("/v1/reports/monthly?from=2025-01&to=2025-12", access_token);
    expect(unnamed.status).toBe(400);
    expect((await errorOf(unnamed)).code).toBe("company_required");

    type Report = { company_id: string; months: string[]; lines: { title: string; values: number[] }[] };
    const trading = await (
      await api("/v1/reports/monthly?from=2025-01&to=2025-12", access_token, TRADING.id)
    ).json<Report>();
    const holdings = await (
      await api("/v1/reports/monthly?from=2025-01&to=2025-12", access_token, HOLDINGS.id)
    ).json<Report>();
    expect([trading.company_id, holdings.company_id]).toEqual(BOTH);
    expect(holdings.months).toEqual(trading.months);
    // Holdings' March is the recording's September (six months on), two and a half times as large.
    const sales = data.lines.find((l) => l.title === "Sales")!;
    const growth = (1 + data.growthPerYear) ** (2025 - data.baseYear + 2 / 12);
    const value = (r: Report, month: number) => r.lines.find((l) => l.title === "Sales")!.values[month];
    expect(value(trading, 2)).toBeCloseTo(sales.byMonth[2]! * growth, 2);
    expect(value(holdings, 2)).toBeCloseTo(sales.byMonth[8]! * HOLDINGS.scale * growth, 2);
    expect(value(holdings, 2)).not.toBeCloseTo(value(trading, 2)!, 0);
  });

  it("should answer 403 for a company the grant does not cover, named or unknown", async () => {
    const { access_token } = await connect("one-company-verifier-long-enough-0123456789", [HOLDINGS.id]);
    for (const path of ["/v1/company", "/v1/reports/monthly?from=2025-01&to=2025-12"]) {
      for (const company of [TRADING.id, "nobody-ltd"]) {
        const res = await api(path, access_token, company);
        expect(res.status, `${path} for ${company}`).toBe(403);
        expect((await errorOf(res)).code).toBe("company_not_granted");
      }
    }
    expect((await api("/v1/reports/monthly?from=2025-01&to=2025-12", access_token, HOLDINGS.id)).status).toBe(200);
    const payroll = await connectPayroll([HOLDINGS.id]);
    const denied = await api("/v1/employees", payroll.access_token, TRADING.id);
    expect(denied.status).toBe(403);
    expect((await errorOf(denied)).code).toBe("company_not_granted");
  });

  it("should page each company's own employees", async () => {
    const payroll = await connectPayroll(BOTH);
    const ids = async (company: string) =>
      (
        await (
          await api("/v1/employees?per_page=100", payroll.access_token, company)
        ).json<{ employees: { id: string }[] }>()
      ).employees.map((e) => e.id);
    expect(await ids(TRADING.id)).toEqual(TRADING.employeeIds.slice(0, 10));
    expect(await ids(HOLDINGS.id)).toEqual(HOLDINGS.employeeIds);
    expect(HOLDINGS.employeeIds.length).toBeLessThan(TRADING.employeeIds.length);
  });

  it("should have both sandbox providers list the grant's companies as tenants, and name each in their calls", async () => {
    const accounting = await connect("tenants-verifier-long-enough-0123456789abcdef", BOTH);
    const tenants = await providers.Sandbox.lookupTenants(providerApi(accounting.access_token));
    expect(tenants).toEqual([
      { tenantId: TRADING.id, tenantName: TRADING.name },
      { tenantId: HOLDINGS.id, tenantName: HOLDINGS.name },
    ]);
    const batch = await providers.Sandbox.getData({
      api: providerApi(accounting.access_token),
      tenantId: HOLDINGS.id,
      fromDate: "2025-01-01",
      warn: () => {},
    });
    expect(batch.dates[0]).toBe("2025-01-31");
    const growth = (1 + data.growthPerYear) ** (2025 - data.baseYear);
    const sales = data.lines.find((l) => l.title === "Sales")!;
    expect(batch.data["Sales"]?.["2025-01-31"]).toBeCloseTo(sales.byMonth[6]! * HOLDINGS.scale * growth, 2);

    const payroll = await connectPayroll([HOLDINGS.id]);
    expect(await providers.SandboxPayroll.lookupTenants(providerApi(payroll.access_token))).toEqual([
      { tenantId: HOLDINGS.id, tenantName: HOLDINGS.name },
    ]);
    const rows = await providers.SandboxPayroll.getData({
      api: providerApi(payroll.access_token),
      tenantId: HOLDINGS.id,
      fromDate: "2025-01-01",
      warn: () => {},
    });
    expect(rows).toHaveLength(HOLDINGS.employeeIds.length);
  });
});

describe("the sandbox in development", () => {
  it("should stay out of this service's OpenAPI document: it plays a third party", async () => {
    const doc = await (await callDevelopment("/openapi.json")).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/sandbox"))).toEqual([]);
    expect(doc.paths).toHaveProperty("/integration/sandbox/login");
  });
});

describe("the sandbox's endpoints", () => {
  // The test bindings point the sandbox at the fake server; unset, its endpoints are this worker's.
  const unset = (prefix: string) =>
    Object.fromEntries(["AUTHORIZE_URL", "TOKEN_URL", "REVOKE_URL", "API_BASE_URL"].map((s) => [`${prefix}_${s}`, ""]));
  const endpoints = (extra: Record<string, string>) => {
    const resolved = resolveOAuthApp(providers.SandboxPayroll, {
      ...developmentEnv,
      ...unset("SANDBOXPAYROLL"),
      ...extra,
    });
    if (!resolved.configured) throw new Error("SandboxPayroll is not configured");
    const { authorizeUrl, tokenUrl, revokeUrl, apiBaseUrl } = resolved.app;
    return { authorizeUrl, tokenUrl, revokeUrl, apiBaseUrl };
  };

  it("should follow the origin a local request reached the worker at, so any port works without a setting", async () => {
    await callDevelopment("http://127.0.0.1:8799/health");
    expect(endpoints({ PUBLIC_URL: "" })).toEqual({
      authorizeUrl: "http://127.0.0.1:8799/sandbox/oauth/authorize",
      tokenUrl: "http://127.0.0.1:8799/sandbox/oauth/token",
      revokeUrl: "http://127.0.0.1:8799/sandbox/oauth/revoke",
      apiBaseUrl: "http://127.0.0.1:8799/sandbox/api",
    });
    // A request on another host is no local run: it names nothing.
    await callDevelopment("https://integrations.example.test/health");
    expect(endpoints({ PUBLIC_URL: "" }).tokenUrl).toBe("http://127.0.0.1:8799/sandbox/oauth/token");
  });

  it("should follow PUBLIC_URL when it is set", () => {
    expect(endpoints({ PUBLIC_URL: "http://localhost:9000/" }).tokenUrl).toBe(
      "http://localhost:9000/sandbox/oauth/token",
    );
  });

  it("should keep an explicit <NAME>_*_URL setting", () => {
    expect(endpoints({ SANDBOXPAYROLL_TOKEN_URL: "http://127.0.0.1:1/token" }).tokenUrl).toBe(
      "http://127.0.0.1:1/token",
    );
  });
});
