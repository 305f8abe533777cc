// Self-test of the fake provider server (test/fake/), in plain Node.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer } from "../fake/server.ts";
import type { FakeServer } from "../fake/server.ts";
import type { ApiRequestLog, GrantSummary, MintedGrant, TenantStats } from "../fake/types.ts";

let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeServer();
});
afterAll(() => fake.close());

const url = (path: string) => `${fake.origin}${path}`;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
const XERO = { Authorization: basic("xero-client", "xero-secret") };
const REDIRECT = "https://integrations.example.test/integration/callback";

async function ctl<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url(`/_control${path}`), {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
  });
  expect(res.ok, `${method} ${path} → ${res.status}`).toBe(true);
  return (await res.json()) as T;
}
const mint = (body: object) => ctl<MintedGrant>("POST", "/grants", body);
const grantStats = (id: string) => ctl<GrantSummary>("GET", `/grants/${id}`);

function form(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  return fetch(url(path), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields),
    ...(signal ? { signal } : {}),
  });
}
const xeroRefresh = (refresh_token: string) =>
  form("/xero/token", { grant_type: "refresh_token", refresh_token }, XERO);
const gustoRefresh = (refresh_token: string) =>
  form("/gusto/oauth/token", {
    grant_type: "refresh_token",
    refresh_token,
    client_id: "gusto-client",
    client_secret: "gusto-secret",
  });

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

async function authorizeCode(
  extra: Record<string, string> = {},
  path = "/xero/authorize",
  clientId = "xero-client",
): Promise<{ code: string; location: string }> {
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: REDIRECT,
    state: "st-1",
    scope: "offline_access",
    ...extra,
  }).toString();
  const res = await fetch(url(`${path}?${q}`), { redirect: "manual" });
  expect(res.status).toBe(302);
  const location = res.headers.get("location") ?? "";
  return { code: new URL(location).searchParams.get("code") ?? "", location };
}

const exchange = (code: string, extra: Record<string, string> = {}) =>
  form("/xero/token", { grant_type: "authorization_code", code, redirect_uri: REDIRECT, ...extra }, XERO);

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;
const xeroApi = (path: string, token: string, headers: Record<string, string> = {}) =>
  fetch(url(`/xero/api${path}`), {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...headers },
  });

describe("authorize", () => {
  it("redirects back with code and state, appending to an existing query", async () => {
    const { location } = await authorizeCode({ redirect_uri: `${REDIRECT}?x=1` });
    expect(location).toMatch(/^https:\/\/integrations\.example\.test\/integration\/callback\?x=1&code=.+&state=st-1$/);
  });

  it("rejects an unknown client with 400 JSON and redirects other errors with the state", async () => {
    const bad = await fetch(url(`/xero/authorize?client_id=nope&response_type=code&redirect_uri=${REDIRECT}&state=s`), {
      redirect: "manual",
    });
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toBe("invalid_client");
    const { location } = await authorizeCode({ response_type: "token" });
    expect(new URL(location).searchParams.get("error")).toBe("unsupported_response_type");
    expect(new URL(location).searchParams.get("state")).toBe("st-1");
  });
});

describe("authorization code exchange", () => {
  it("accepts a matching PKCE verifier and creates a grant findable by code and tokens", async () => {
    const { verifier, challenge } = pkce();
    const { code } = await authorizeCode({ code_challenge: challenge, code_challenge_method: "S256" });
    const res = await exchange(code, { code_verifier: verifier });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ expires_in: 1800, token_type: "Bearer", scope: "offline_access" });
    const byCode = await ctl<GrantSummary>("GET", `/grants?code=${code}`);
    expect(byCode.currentAccessToken).toBe(body["access_token"]);
    expect((await ctl<GrantSummary>("GET", `/grants?refresh_token=${String(body["refresh_token"])}`)).grantId).toBe(
      byCode.grantId,
    );
    expect(byCode.tenants.map((t) => t.type)).toEqual(["PRACTICE", "ORGANISATION"]);
  });

  it("rejects a wrong, missing or unexpected verifier", async () => {
    const { challenge } = pkce();
    const a = await authorizeCode({ code_challenge: challenge, code_challenge_method: "S256" });
    expect(await errorOf(await exchange(a.code, { code_verifier: pkce().verifier }))).toBe("invalid_grant");
    const b = await authorizeCode({ code_challenge: challenge, code_challenge_method: "S256" });
    expect(await errorOf(await exchange(b.code))).toBe("invalid_grant");
    const c = await authorizeCode();
    expect(await errorOf(await exchange(c.code, { code_verifier: pkce().verifier }))).toBe("invalid_grant");
  });

  it("is single use: a second use fails and revokes the grant issued from the code", async () => {
    const { code } = await authorizeCode();
    const first = (await (await exchange(code)).json()) as { access_token: string };
    const again = await exchange(code);
    expect(again.status).toBe(400);
    expect(await errorOf(again)).toBe("invalid_grant");
    expect((await xeroApi("/connections", first.access_token)).status).toBe(401);
    expect((await ctl<GrantSummary>("GET", `/grants?code=${code}`)).revoked).toBe(true);
  });

  it("checks redirect_uri and expiry", async () => {
    const a = await authorizeCode();
    expect(await errorOf(await exchange(a.code, { redirect_uri: `${REDIRECT}/other` }))).toBe("invalid_grant");
    const b = await authorizeCode();
    await ctl("POST", `/authorizations/${b.code}/expire`);
    expect(await errorOf(await exchange(b.code))).toBe("invalid_grant");
  });

  it("enforces each provider's client authentication method", async () => {
    const x = await authorizeCode();
    const post = await form("/xero/token", {
      grant_type: "authorization_code",
      code: x.code,
      redirect_uri: REDIRECT,
      client_id: "xero-client",
      client_secret: "xero-secret",
    });
    expect(post.status).toBe(401);
    expect(await errorOf(post)).toBe("invalid_client");
    expect((await exchange(x.code, {})).status).toBe(200); // the rejected attempt did not burn the code

    const g = await authorizeCode({ client_id: "gusto-client" }, "/gusto/oauth/authorize", "gusto-client");
    const viaBasic = await form(
      "/gusto/oauth/token",
      { grant_type: "authorization_code", code: g.code, redirect_uri: REDIRECT },
      { Authorization: basic("gusto-client", "gusto-secret") },
    );
    expect(viaBasic.status).toBe(401);
    const ok = await form("/gusto/oauth/token", {
      grant_type: "authorization_code",
      code: g.code,
      redirect_uri: REDIRECT,
      client_id: "gusto-client",
      client_secret: "gusto-secret",
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveProperty("created_at");

    const variants: Record<string, string>[] = [{ Authorization: basic("acme-client", "acme-secret") }, {}];
    for (const headers of variants) {
      const c = await authorizeCode({}, "/generic/acme/authorize", "acme-client");
      const fields: Record<string, string> = { grant_type: "authorization_code", code: c.code, redirect_uri: REDIRECT };
      if (!("Authorization" in headers))
        Object.assign(fields, { client_id: "acme-client", client_secret: "acme-secret" });
      expect((await form("/generic/acme/token", fields, headers)).status).toBe(200);
    }
  });
});

describe("refresh", () => {
  it("rotates, keeps old access tokens valid, and revokes the grant on reuse", async () => {
    const g = await mint({ provider: "xero" });
    const res = await xeroRefresh(g.refresh_token);
    const next = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
    expect(next.refresh_token).not.toBe(g.refresh_token);
    expect(next.expires_in).toBe(1800);
    expect((await xeroApi("/connections", g.access_token)).status).toBe(200);
    const s = await grantStats(g.grantId);
    expect(s).toMatchObject({ consumedRefreshTokens: 1, currentRefreshToken: next.refresh_token, refreshRequests: 1 });

    const reuse = await xeroRefresh(g.refresh_token);
    expect(reuse.status).toBe(400);
    expect(await errorOf(reuse)).toBe("invalid_grant");
    expect((await grantStats(g.grantId)).revoked).toBe(true);
    expect((await xeroApi("/connections", next.access_token)).status).toBe(401);
    expect(await errorOf(await xeroRefresh(next.refresh_token))).toBe("invalid_grant");
    expect(await errorOf(await xeroRefresh("rt-unknown"))).toBe("invalid_grant");
  });

  it("can keep the refresh token (refreshTokenOnRefresh: false) and serve expired tokens", async () => {
    const g = await mint({ provider: "gusto", refreshTokenOnRefresh: false, expiresIn: -5 });
    const api = await fetch(url("/gusto/api/v1/token_info"), {
      headers: { Authorization: `Bearer ${g.access_token}` },
    });
    expect(api.status).toBe(401);
    expect(api.headers.get("www-authenticate")).toContain("invalid_token");
    const body = (await (await gustoRefresh(g.refresh_token)).json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("refresh_token");
    expect((await gustoRefresh(g.refresh_token)).status).toBe(200);
  });

  it("plays scripted outcomes in order without consuming the token on errors", async () => {
    const g = await mint({ provider: "xero" });
    await ctl("POST", `/grants/${g.grantId}/script`, {
      endpoint: "token",
      responses: [
        { status: 500 },
        { status: 429, retryAfter: 2 },
        { status: 400, error: "invalid_grant" },
        { status: 200 },
      ],
    });
    expect((await xeroRefresh(g.refresh_token)).status).toBe(500);
    const limited = await xeroRefresh(g.refresh_token);
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "2"]);
    expect(await errorOf(await xeroRefresh(g.refresh_token))).toBe("invalid_grant");
    expect((await xeroRefresh(g.refresh_token)).status).toBe(200);
    expect(await grantStats(g.grantId)).toMatchObject({
      refreshRequests: 4,
      consumedRefreshTokens: 1,
      revoked: false,
      pendingScripts: { token: 0, api: 0 },
    });
  });

  it("measures concurrent refreshes; the loser of a race trips reuse detection", async () => {
    const g = await mint({ provider: "xero" });
    await ctl("POST", `/grants/${g.grantId}/script`, {
      endpoint: "token",
      responses: [{ hold: "race-first" }, { hold: "race-second" }],
    });
    const a = xeroRefresh(g.refresh_token);
    await ctl("POST", "/gates/race-first/wait", { waiting: 1 });
    const b = xeroRefresh(g.refresh_token);
    await ctl("POST", "/gates/race-second/wait", { waiting: 1 });
    await ctl("POST", "/gates/race-first/release");
    expect((await a).status).toBe(200);
    await ctl("POST", "/gates/race-second/release");
    expect((await b).status).toBe(400);
    expect(await grantStats(g.grantId)).toMatchObject({ maxConcurrentRefresh: 2, revoked: true, inFlightRefresh: 0 });
  });

  it("does not process a delayed request whose client hung up; reset drops the connection", async () => {
    const g = await mint({ provider: "xero" });
    await ctl("POST", `/grants/${g.grantId}/script`, {
      endpoint: "token",
      responses: [{ delayMs: 5000 }, { reset: true }],
    });
    await expect(
      form(
        "/xero/token",
        { grant_type: "refresh_token", refresh_token: g.refresh_token },
        XERO,
        AbortSignal.timeout(100),
      ),
    ).rejects.toThrow();
    await expect(xeroRefresh(g.refresh_token)).rejects.toThrow();
    expect((await xeroRefresh(g.refresh_token)).status).toBe(200);
    expect(await grantStats(g.grantId)).toMatchObject({ refreshRequests: 3, consumedRefreshTokens: 1 });
  });
});

describe("gates", () => {
  type Gate = { waiting: number; arrived: number; passed: number; abandoned: number; open: boolean };
  const wait = (name: string, want: object) => ctl<Gate>("POST", `/gates/${name}/wait`, want);

  it("holds a request on arrival, unprocessed, until the gate is released; then lets later ones pass", async () => {
    const g = await mint({ provider: "xero" });
    await ctl("POST", `/grants/${g.grantId}/script`, { endpoint: "token", responses: [{ hold: "arrival" }] });
    const pending = xeroRefresh(g.refresh_token);
    expect(await wait("arrival", { waiting: 1 })).toMatchObject({ waiting: 1, arrived: 1, passed: 0, open: false });
    expect(await grantStats(g.grantId)).toMatchObject({ refreshRequests: 1, consumedRefreshTokens: 0 });
    expect(await ctl("POST", "/gates/arrival/release")).toMatchObject({ waiting: 0, passed: 1, open: true });
    expect((await pending).status).toBe(200);
    expect(await grantStats(g.grantId)).toMatchObject({ consumedRefreshTokens: 1 });
  });

  it("holds a processed answer; a client that hangs up abandons it, the rotation done", async () => {
    const g = await mint({ provider: "gusto" });
    await ctl("POST", `/grants/${g.grantId}/script`, {
      endpoint: "token",
      responses: [{ hold: "lost", holdAt: "answer" }],
    });
    const hangUp = new AbortController();
    const pending = fetch(url("/gusto/oauth/token"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: g.refresh_token,
        client_id: "gusto-client",
        client_secret: "gusto-secret",
      }),
      signal: hangUp.signal,
    });
    await wait("lost", { waiting: 1 });
    expect(await grantStats(g.grantId)).toMatchObject({ consumedRefreshTokens: 1 });
    hangUp.abort();
    await expect(pending).rejects.toThrow();
    expect(await wait("lost", { abandoned: 1 })).toMatchObject({ waiting: 0, passed: 0, abandoned: 1 });
  });

  it("sends the headers of a body-held answer at once and the body on release", async () => {
    const g = await mint({ provider: "xero" });
    await ctl("POST", `/grants/${g.grantId}/script`, {
      endpoint: "token",
      responses: [{ hold: "body", holdAt: "body" }],
    });
    const res = await xeroRefresh(g.refresh_token);
    expect(res.status).toBe(200);
    expect(await wait("body", { waiting: 1 })).toMatchObject({ waiting: 1 });
    await ctl("POST", "/gates/body/release");
    expect(JSON.parse(await res.text())).toMatchObject({ access_token: expect.any(String) as string });
  });

  it("answers 408 to a wait that is not met in time, and 400 to a bad hold", async () => {
    const res = await fetch(url("/_control/gates/nobody/wait"), {
      method: "POST",
      body: JSON.stringify({ waiting: 1, timeoutMs: 20 }),
    });
    expect(res.status).toBe(408);
    expect(await res.json()).toMatchObject({ error: "gate_timeout", gate: { arrived: 0 } });
    const g = await mint({ provider: "xero" });
    const bad = await fetch(url(`/_control/grants/${g.grantId}/script`), {
      method: "POST",
      body: JSON.stringify({ endpoint: "token", responses: [{ hold: "x", holdAt: "later" }] }),
    });
    expect(bad.status).toBe(400);
  });
});

describe("revoke", () => {
  it("revokes the grant for its client, answers 200 for unknown tokens and 401 for a bad client", async () => {
    const g = await mint({ provider: "gusto" });
    const creds = { client_id: "gusto-client", client_secret: "gusto-secret" };
    expect(
      (await form("/gusto/oauth/revoke", { token: g.refresh_token, ...creds, client_secret: "wrong" })).status,
    ).toBe(401);
    expect((await form("/gusto/oauth/revoke", { token: "unknown", ...creds })).status).toBe(200);
    expect((await form("/gusto/oauth/revoke", { token: g.refresh_token, ...creds })).status).toBe(200);
    expect(await grantStats(g.grantId)).toMatchObject({ revoked: true, revokeRequests: 2 });
  });
});

describe("redirects and the sink", () => {
  it("sends a scripted location with a 307, and records what reaches the sink", async () => {
    const g = await mint({ provider: "xero" });
    const target = url("/sink/self-test");
    await ctl("POST", `/grants/${g.grantId}/script`, {
      endpoint: "token",
      responses: [{ status: 307, location: target }],
    });
    const res = await fetch(url("/xero/token"), {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...XERO },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: g.refresh_token }),
    });
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe(target);
    expect(await ctl<unknown[]>("GET", "/sink/self-test")).toEqual([]);
    // A client that follows it (the default) sends the form again, credentials included.
    await ctl("POST", `/grants/${g.grantId}/script`, {
      endpoint: "token",
      responses: [{ status: 307, location: target }],
    });
    expect((await xeroRefresh(g.refresh_token)).status).toBe(200);
    const [hit] = await ctl<{ method: string; headers: Record<string, string>; body: string }[]>(
      "GET",
      "/sink/self-test",
    );
    expect(hit).toMatchObject({ method: "POST", headers: { authorization: XERO.Authorization } });
    expect(hit!.body).toContain("refresh_token=");
  });
});

describe("Xero API", () => {
  it("lists connections, checks the tenant header, logs requests and plays API scripts", async () => {
    const g = await mint({ provider: "xero" });
    const [practice, org] = g.tenantIds as [string, string];
    const conns = (await (await xeroApi("/connections", g.access_token)).json()) as {
      tenantId: string;
      tenantType: string;
    }[];
    expect(conns.map((c) => [c.tenantId, c.tenantType])).toEqual([
      [practice, "PRACTICE"],
      [org, "ORGANISATION"],
    ]);
    const other = await mint({ provider: "xero" });
    expect(
      (
        await xeroApi("/api.xro/2.0/Reports/BalanceSheet", g.access_token, {
          "Xero-Tenant-Id": other.tenantIds[1] ?? "",
        })
      ).status,
    ).toBe(403);

    await ctl("POST", `/grants/${g.grantId}/script`, { endpoint: "api", responses: [{ status: 429, retryAfter: 3 }] });
    const limited = await xeroApi("/api.xro/2.0/Reports/ProfitAndLoss?toDate=2022-03-31", g.access_token, {
      "Xero-Tenant-Id": org,
    });
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "3"]);
    const ok = await xeroApi(
      "/api.xro/2.0/Reports/ProfitAndLoss?fromDate=2021-05-01&toDate=2022-03-31&periods=11&timeframe=MONTH",
      g.access_token,
      { "Xero-Tenant-Id": org },
    );
    expect(ok.status).toBe(200);
    const log = await ctl<ApiRequestLog[]>("GET", `/tenants/${org}/requests`);
    expect(log.map((r) => r.status)).toEqual([429, 200]);
    expect(log[1]?.query).toEqual({ fromDate: "2021-05-01", toDate: "2022-03-31", periods: "11", timeframe: "MONTH" });
    expect(log[1]?.headers["xero-tenant-id"]).toBe(org);
    expect((await grantStats(g.grantId)).apiRequests).toBe(4);
    const expired = await mint({ provider: "xero", expiresIn: 0 });
    const res = await xeroApi("/connections", expired.access_token);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { Detail: string }).Detail).toMatch(/^TokenExpired: token expired at /);
  });

  it("serves the fixture for its exact request and synthesizes others in the same format", async () => {
    const g = await mint({ provider: "xero" });
    const org = g.tenantIds[1] ?? "";
    const get = async (path: string) => {
      const res = await xeroApi(path, g.access_token, { "Xero-Tenant-Id": org });
      expect(res.status).toBe(200);
      return ((await res.json()) as { Reports: { ReportTitles: string[]; Rows: Row[] }[] }).Reports[0]!;
    };
    type Row = { RowType: string; Title?: string; Cells?: { Value: string }[]; Rows?: Row[] };
    const recorded = await get("/api.xro/2.0/Reports/ProfitAndLoss?fromDate=2021-05-17&toDate=2022-03-31&periods=11");
    expect(recorded.Rows[0]?.Cells?.[1]?.Value).toBe("31 Mar 22");
    expect(recorded.ReportTitles[2]).toBe("17 May 2021 to 31 March 2022");
    const pl = await get(
      "/api.xro/2.0/Reports/ProfitAndLoss?fromDate=2024-01-01&toDate=2024-01-31&periods=2&timeframe=MONTH",
    );
    expect(pl.Rows[0]?.Cells?.map((c) => c.Value)).toEqual(["", "31 Jan 24", "31 Dec 23", "30 Nov 23"]);
    expect(pl.Rows.map((r) => r.Title)).toEqual(recorded.Rows.map((r) => r.Title));
    expect(pl.ReportTitles).toEqual(["Profit & Loss", "Demo Company (UK)", "1 January 2024 to 31 January 2024"]);
    const income = pl.Rows.find((r) => r.Title === "Income")!.Rows!;
    const col = (row: Row | undefined, i: number) => Math.round(Number(row?.Cells?.[i]?.Value) * 100);
    for (const i of [1, 2, 3]) {
      const leaves = income.filter((r) => r.RowType === "Row").reduce((s, r) => s + col(r, i), 0);
      expect(
        col(
          income.find((r) => r.RowType === "SummaryRow"),
          i,
        ),
      ).toBe(leaves);
    }
    const again = await get("/api.xro/2.0/Reports/ProfitAndLoss?toDate=2024-01-31&periods=2");
    expect(again.Rows.slice(1)).toEqual(pl.Rows.slice(1));
    // A column sums its span: one P&L over Nov–Jan equals the three one-month columns, and each
    // comparison column of a three-month span is that span moved back a month (a rolling sum).
    const quarter = await get(
      "/api.xro/2.0/Reports/ProfitAndLoss?fromDate=2023-11-01&toDate=2024-01-31&periods=1&timeframe=MONTH",
    );
    expect(quarter.Rows[0]?.Cells?.map((c) => c.Value)).toEqual(["", "31 Jan 24", "31 Dec 23"]);
    const rows = (report: typeof pl) => report.Rows.flatMap((s) => s.Rows ?? []);
    const months = rows(pl);
    for (const [i, row] of rows(quarter).entries()) {
      expect(col(row, 1), row.Cells?.[0]?.Value).toBe(col(months[i], 1) + col(months[i], 2) + col(months[i], 3));
      expect(col(row, 2)).not.toBe(col(row, 1));
    }
    const bs = await get("/api.xro/2.0/Reports/BalanceSheet?date=2023-02-28&periods=1");
    expect(bs.Rows[0]?.Cells?.map((c) => c.Value)).toEqual(["", "28 Feb 2023", "31 Jan 2023"]);
    const find = (title: string) => bs.Rows.flatMap((s) => s.Rows ?? []).find((r) => r.Cells?.[0]?.Value === title);
    expect(col(find("Total Equity"), 1)).toBe(col(find("Net Assets"), 1));
    expect(col(find("Net Assets"), 2)).toBe(col(find("Total Assets"), 2) - col(find("Total Liabilities"), 2));
    const xml = await fetch(url("/xero/api/api.xro/2.0/Reports/BalanceSheet"), {
      headers: { Authorization: `Bearer ${g.access_token}`, "Xero-Tenant-Id": org },
    });
    expect(xml.headers.get("content-type")).toContain("text/xml");
  });

  it("rate-limits per tenant: 5 concurrent, then the rolling minute", async () => {
    const g = await mint({ provider: "xero", tenantIds: ["t-rate-" + randomBytes(4).toString("hex")] });
    const tenant = g.tenantIds[0] ?? "";
    await ctl("PUT", `/tenants/${tenant}/config`, { latencyMs: 200, minuteLimit: 8 });
    const call = () =>
      xeroApi("/api.xro/2.0/Reports/BalanceSheet?date=2022-05-31", g.access_token, { "Xero-Tenant-Id": tenant });
    const burst = await Promise.all(Array.from({ length: 7 }, call));
    const limited = burst.filter((r) => r.status === 429);
    expect(burst.filter((r) => r.status === 200)).toHaveLength(5);
    expect(limited.map((r) => [r.headers.get("x-rate-limit-problem"), r.headers.get("retry-after")])).toEqual([
      ["concurrent", "1"],
      ["concurrent", "1"],
    ]);
    await ctl("PUT", `/tenants/${tenant}/config`, { latencyMs: 0 });
    for (let i = 0; i < 3; i++) expect((await call()).status).toBe(200);
    const over = await call();
    expect([over.status, over.headers.get("x-rate-limit-problem")]).toEqual([429, "minute"]);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await ctl<TenantStats>("GET", `/tenants/${tenant}/stats`)).toMatchObject({
      requests: 8,
      maxConcurrent: 5,
      rateLimited: 3,
    });
  });
});

describe("Gusto API", () => {
  const gusto = (path: string, token: string) =>
    fetch(url(`/gusto/api${path}`), { headers: { Authorization: `Bearer ${token}` } });

  it("describes the token and user, and paginates employees", async () => {
    const g = await mint({ provider: "gusto" });
    const company = g.tenantIds[0] ?? "";
    expect(await (await gusto("/v1/token_info", g.access_token)).json()).toMatchObject({
      resource: { type: "Company", uuid: company },
    });
    expect(await (await gusto("/v1/me", g.access_token)).json()).toMatchObject({
      roles: { payroll_admin: { companies: [{ uuid: company }] } },
    });
    const sizes: number[] = [];
    for (let page = 1; page <= 4; page++) {
      const res = await gusto(`/v1/companies/${company}/employees?page=${page}&per=5`, g.access_token);
      sizes.push(((await res.json()) as unknown[]).length);
    }
    expect(sizes).toEqual([5, 5, 3, 0]);
    expect(
      ((await (await gusto(`/v1/companies/${company}/employees`, g.access_token)).json()) as unknown[]).length,
    ).toBe(13);
    expect(
      ((await (await gusto(`/v1/companies/${company}/employees?per=500`, g.access_token)).json()) as unknown[]).length,
    ).toBe(13);
    const other = await mint({ provider: "gusto" });
    expect((await gusto(`/v1/companies/${other.tenantIds[0]}/employees`, g.access_token)).status).toBe(404);
    await ctl("PUT", `/gusto/companies/${company}/employees`, [{ uuid: "e1", first_name: "Ann", terminated: true }]);
    expect(await (await gusto(`/v1/companies/${company}/employees`, g.access_token)).json()).toEqual([
      { uuid: "e1", first_name: "Ann", terminated: true },
    ]);
    expect((await ctl<ApiRequestLog[]>("GET", `/tenants/${company}/requests`)).length).toBe(9);
  });

  it("serves at most 50 employees a page whatever per asks, and says so in its paging headers", async () => {
    const g = await mint({ provider: "gusto" });
    const company = g.tenantIds[0] ?? "";
    await ctl(
      "PUT",
      `/gusto/companies/${company}/employees`,
      Array.from({ length: 130 }, (_, i) => ({ uuid: `e${i}` })),
    );
    const page = async (n: number, per: number) => {
      const res = await gusto(`/v1/companies/${company}/employees?page=${n}&per=${per}`, g.access_token);
      const h = (name: string) => res.headers.get(name);
      return {
        size: ((await res.json()) as unknown[]).length,
        headers: [h("X-Page"), h("X-Per-Page"), h("X-Total-Count"), h("X-Total-Pages")],
        link: h("Link"),
      };
    };
    expect(await page(1, 100)).toEqual({
      size: 50,
      headers: ["1", "50", "130", "3"],
      link: `</gusto/api/v1/companies/${company}/employees?page=2&per=50>; rel="next"`,
    });
    expect(await page(3, 100)).toMatchObject({ size: 30, headers: ["3", "50", "130", "3"] });
    expect(await page(4, 100)).toMatchObject({ size: 0 });

    expect(
      await ctl("PUT", `/gusto/companies/${company}/paging`, { largestPage: 200, totalPagesHeader: false }),
    ).toEqual({ largestPage: 200, totalPagesHeader: false });
    expect(await page(1, 100)).toMatchObject({ size: 100, headers: ["1", "100", "130", null] });
    expect(await ctl("PUT", `/gusto/companies/${company}/paging`, { largestPage: 7 })).toEqual({
      largestPage: 7,
      totalPagesHeader: false,
    });
    const refused = await fetch(url(`/_control/gusto/companies/${company}/paging`), {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ largestPage: 0 }),
    });
    expect(refused.status).toBe(400);
  });
});

describe("generic provider", () => {
  it("serves /me and /data under a bearer check", async () => {
    const g = await mint({ provider: "generic:acme" });
    const get = (path: string, token: string) =>
      fetch(url(`/generic/acme/api${path}`), { headers: { Authorization: `Bearer ${token}` } });
    expect(await (await get("/me", g.access_token)).json()).toEqual({ id: g.tenantIds[0] });
    expect(await (await get("/data", g.access_token)).json()).toEqual({
      items: [{ title: "Revenue", date: "2024-01-31", value: 100 }],
    });
    expect((await get("/data", "nope")).status).toBe(401);
  });
});

describe("QuickBooks", () => {
  const QB = { Authorization: basic("quickbooks-client", "quickbooks-secret") };
  const TOKEN = "/quickbooks/oauth2/v1/tokens/bearer";
  const qbRefresh = (refresh_token: string) => form(TOKEN, { grant_type: "refresh_token", refresh_token }, QB);
  const qbRevoke = (body: string, headers: Record<string, string>) =>
    fetch(url("/quickbooks/oauth2/v1/tokens/revoke"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
      body,
    });
  const qbApi = (path: string, token: string) =>
    fetch(url(`/quickbooks/api${path}`), { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
  const BY_MONTH = "summarize_column_by=Month&accounting_method=Accrual&minorversion=75";

  type Cell = { value: string; id?: string };
  type Row = { type: string; group?: string; ColData?: Cell[]; Rows?: { Row: Row[] }; Summary?: { ColData: Cell[] } };
  type Report = {
    Header: Record<string, unknown>;
    Columns: { Column: { ColTitle: string; MetaData?: { Name: string; Value: string }[] }[] };
    Rows: { Row: Row[] };
  };
  /** Title → cents per column (month columns, then Total) of every Data row and Summary, first one kept. */
  function lines(report: Report): Map<string, number[]> {
    const out = new Map<string, number[]>();
    const add = (cells: Cell[]) => {
      const [title, ...values] = cells;
      if (!out.has(title?.value ?? ""))
        out.set(
          title?.value ?? "",
          values.map((c) => Math.round(Number(c.value) * 100)),
        );
    };
    const walk = (rows: Row[]) => {
      for (const row of rows) {
        if (row.ColData) add(row.ColData);
        walk(row.Rows?.Row ?? []);
        if (row.Summary) add(row.Summary.ColData);
      }
    };
    walk(report.Rows.Row);
    return out;
  }

  it("redirects back with code, state and a fresh realmId that becomes the grant's tenant", async () => {
    const a = await authorizeCode(
      { scope: "com.intuit.quickbooks.accounting" },
      "/quickbooks/oauth2",
      "quickbooks-client",
    );
    const b = await authorizeCode({}, "/quickbooks/oauth2", "quickbooks-client");
    const params = new URL(a.location).searchParams;
    expect([...params.keys()]).toEqual(["code", "state", "realmId"]);
    const realm = params.get("realmId") ?? "";
    expect(realm).toMatch(/^\d{16}$/);
    expect(new URL(b.location).searchParams.get("realmId")).not.toBe(realm);
    expect((await ctl<{ tenantId: string }>("GET", `/authorizations/${a.code}`)).tenantId).toBe(realm);
    const res = await form(TOKEN, { grant_type: "authorization_code", code: a.code, redirect_uri: REDIRECT }, QB);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "bearer", x_refresh_token_expires_in: 8726400 });
    const grant = await ctl<GrantSummary>("GET", `/grants?code=${a.code}`);
    expect(grant.tenantIds).toEqual([realm]);
    expect(grant.tenants[0]).toMatchObject({ type: "COMPANY", name: "Sandbox Company_US_1" });
  });

  it("accepts client_secret_basic only", async () => {
    const { code } = await authorizeCode({}, "/quickbooks/oauth2", "quickbooks-client");
    const fields = { grant_type: "authorization_code", code, redirect_uri: REDIRECT };
    const post = await form(TOKEN, { ...fields, client_id: "quickbooks-client", client_secret: "quickbooks-secret" });
    expect([post.status, await errorOf(post)]).toEqual([401, "invalid_client"]);
    const wrong = await form(TOKEN, fields, { Authorization: basic("quickbooks-client", "nope") });
    expect(wrong.status).toBe(401);
    expect((await form(TOKEN, fields, QB)).status).toBe(200); // the rejected attempts did not burn the code
  });

  it("states the refresh token's five-year hard expiry only when asked, on the exchange and on refresh", async () => {
    const FIVE_YEARS_S = 5 * 365 * 24 * 3600;
    const ASK = { "x-include-refresh-token-hard-expires-in": "true" };
    const { code } = await authorizeCode({}, "/quickbooks/oauth2", "quickbooks-client");
    const exchange = await form(
      TOKEN,
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT },
      { ...QB, ...ASK },
    );
    const first = (await exchange.json()) as Record<string, unknown>;
    expect(first["x_refresh_token_hard_expires_in"]).toBeGreaterThan(FIVE_YEARS_S - 60);
    expect(first["x_refresh_token_hard_expires_in"]).toBeLessThanOrEqual(FIVE_YEARS_S);
    const plain = (await (await qbRefresh(first["refresh_token"] as string)).json()) as Record<string, unknown>;
    expect(plain).not.toHaveProperty("x_refresh_token_hard_expires_in");
    expect(plain).toHaveProperty("x_refresh_token_expires_in", 8726400);
    const refresh_token = plain["refresh_token"] as string;
    const asked = (await (
      await form(TOKEN, { grant_type: "refresh_token", refresh_token }, { ...QB, ...ASK })
    ).json()) as Record<string, unknown>;
    // The same consent's five years: a refresh does not extend them.
    expect(asked["x_refresh_token_hard_expires_in"]).toBeLessThanOrEqual(
      first["x_refresh_token_hard_expires_in"] as number,
    );
  });

  it("rotates refresh tokens and revokes the grant when a consumed one comes back", async () => {
    const g = await mint({ provider: "quickbooks" });
    expect(g.tenantIds[0]).toMatch(/^\d{16}$/);
    const next = (await (await qbRefresh(g.refresh_token)).json()) as { refresh_token: string };
    expect(next.refresh_token).not.toBe(g.refresh_token);
    const reuse = await qbRefresh(g.refresh_token);
    expect([reuse.status, await errorOf(reuse)]).toEqual([400, "invalid_grant"]);
    expect(await grantStats(g.grantId)).toMatchObject({ revoked: true, consumedRefreshTokens: 1 });
  });

  it("revokes with a JSON body and Basic auth, as Intuit's SDKs send it", async () => {
    const g = await mint({ provider: "quickbooks" });
    const asForm = await form("/quickbooks/oauth2/v1/tokens/revoke", { token: g.refresh_token }, QB);
    expect([asForm.status, await errorOf(asForm)]).toEqual([400, "invalid_request"]);
    expect((await qbRevoke(JSON.stringify({ token: g.refresh_token }), {})).status).toBe(401);
    expect((await qbRevoke(JSON.stringify({ token: "unknown" }), QB)).status).toBe(200);
    expect(await grantStats(g.grantId)).toMatchObject({ revoked: false });
    expect((await qbRevoke(JSON.stringify({ token: g.refresh_token }), QB)).status).toBe(200);
    expect(await grantStats(g.grantId)).toMatchObject({ revoked: true, revokeRequests: 2 });
    expect(
      (await qbApi(`/v3/company/${g.tenantIds[0]}/reports/ProfitAndLoss?${BY_MONTH}`, g.access_token)).status,
    ).toBe(401);
  });

  it("answers 401 and 403 with the gateway's fault bodies, and logs calls under the realm", async () => {
    const g = await mint({ provider: "quickbooks" });
    const realm = g.tenantIds[0] ?? "";
    const path = `/v3/company/${realm}/reports/BalanceSheet?start_date=2024-01-01&end_date=2024-06-30&${BY_MONTH}`;
    const unknown = await qbApi(path, "nope");
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("intuit_tid")).toBeTruthy();
    expect(await unknown.json()).toMatchObject({
      fault: {
        error: [{ message: "message=AuthenticationFailed; errorCode=003200; statusCode=401", code: "3200" }],
        type: "AUTHENTICATION",
      },
    });
    const expired = await mint({ provider: "quickbooks", expiresIn: 0 });
    expect((await qbApi(`/v3/company/${expired.tenantIds[0]}/reports/BalanceSheet`, expired.access_token)).status).toBe(
      401,
    );
    const other = await mint({ provider: "quickbooks" });
    const foreign = await qbApi(`/v3/company/${other.tenantIds[0]}/reports/BalanceSheet?${BY_MONTH}`, g.access_token);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ fault: { error: [{ code: "3100" }], type: "SERVICE" } });
    expect((await qbApi(path, g.access_token)).status).toBe(200);
    const log = await ctl<ApiRequestLog[]>("GET", `/tenants/${realm}/requests`);
    expect(log.map((r) => r.status)).toEqual([401, 200]);
    expect(log[1]?.query).toEqual({
      start_date: "2024-01-01",
      end_date: "2024-06-30",
      summarize_column_by: "Month",
      accounting_method: "Accrual",
      minorversion: "75",
    });
  });

  it("synthesizes month-by-month reports that add up, per realm, in the fixtures' shape", async () => {
    const g = await mint({ provider: "quickbooks" });
    const realm = g.tenantIds[0] ?? "";
    const get = async (type: string, query: string, token = g.access_token, company = realm) => {
      const res = await qbApi(`/v3/company/${company}/reports/${type}?${query}`, token);
      expect(res.status).toBe(200);
      return (await res.json()) as Report;
    };
    const pl = await get("ProfitAndLoss", `start_date=2024-11-01&end_date=2025-04-30&${BY_MONTH}`);
    expect(pl.Header).toMatchObject({
      ReportName: "ProfitAndLoss",
      ReportBasis: "Accrual",
      StartPeriod: "2024-11-01",
      EndPeriod: "2025-04-30",
      SummarizeColumnsBy: "Month",
    });
    expect(pl.Columns.Column.map((c) => c.ColTitle)).toEqual([
      "",
      "Nov 2024",
      "Dec 2024",
      "Jan 2025",
      "Feb 2025",
      "Mar 2025",
      "Apr 2025",
      "Total",
    ]);
    expect(pl.Columns.Column[4]?.MetaData).toEqual([
      { Name: "StartDate", Value: "2025-02-01" },
      { Name: "EndDate", Value: "2025-02-28" },
      { Name: "ColKey", Value: "Feb 2025" },
    ]);
    const p = lines(pl);
    const fixture = new URL("../fixtures/quickbooks/profit-and-loss-2024-01-to-2024-06.json", import.meta.url);
    expect([...p.keys()]).toEqual([...lines(JSON.parse(readFileSync(fixture, "utf8")) as Report).keys()]);
    const sum =
      (...titles: string[]) =>
      (i: number) =>
        titles.reduce((s, t) => s + (p.get(t)?.[i] ?? 0), 0);
    for (let i = 0; i <= 6; i++) {
      expect(p.get("Total Income")?.[i] ?? NaN).toBe(
        sum("Design income", "Discounts given", "Total Landscaping Services", "Sales of Product Income")(i),
      );
      expect(p.get("Gross Profit")?.[i]).toBe(
        (p.get("Total Income")?.[i] ?? 0) - (p.get("Total Cost of Goods Sold")?.[i] ?? 0),
      );
      expect(p.get("Net Income")?.[i]).toBe(sum("Net Operating Income", "Net Other Income")(i));
    }
    expect(p.get("Advertising")?.[6]).toBe((p.get("Advertising") ?? []).slice(0, 6).reduce((a, b) => a + b, 0));

    const bs = lines(await get("BalanceSheet", `start_date=2024-11-01&end_date=2025-04-30&${BY_MONTH}`));
    expect(bs.get("TOTAL ASSETS")).toEqual(bs.get("TOTAL LIABILITIES AND EQUITY"));
    expect(bs.get("Checking")?.[6]).toBe(bs.get("Checking")?.[5]); // Total = the balance at the end

    // Deterministic per realm and month; another realm gets other amounts.
    const again = lines(await get("ProfitAndLoss", `start_date=2025-01-01&end_date=2025-01-31&${BY_MONTH}`));
    expect(again.get("Design income")?.[0]).toBe(p.get("Design income")?.[2]);
    const other = await mint({ provider: "quickbooks" });
    const elsewhere = lines(
      await get(
        "ProfitAndLoss",
        `start_date=2024-11-01&end_date=2025-04-30&${BY_MONTH}`,
        other.access_token,
        other.tenantIds[0],
      ),
    );
    expect(elsewhere.get("Total Income")).not.toEqual(p.get("Total Income"));

    const bad = await qbApi(
      `/v3/company/${realm}/reports/ProfitAndLoss?start_date=2024-02-30&${BY_MONTH}`,
      g.access_token,
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ Fault: { type: "ValidationFault" } });
    expect((await qbApi(`/v3/company/${realm}/reports/ProfitAndLoss`, g.access_token)).status).toBe(400);
  });

  it("serves the report a test set for the realm, and 429s as XML", async () => {
    const g = await mint({ provider: "quickbooks" });
    const realm = g.tenantIds[0] ?? "";
    const body = { Header: { ReportName: "BalanceSheet" }, Columns: { Column: [] }, Rows: {} };
    await ctl("PUT", `/quickbooks/realms/${realm}/reports/BalanceSheet`, body);
    const path = `/v3/company/${realm}/reports/BalanceSheet?start_date=2020-01-01&end_date=2020-01-31&${BY_MONTH}`;
    expect(await (await qbApi(path, g.access_token)).json()).toEqual(body);
    await ctl("DELETE", `/quickbooks/realms/${realm}/reports/BalanceSheet`);
    expect(((await (await qbApi(path, g.access_token)).json()) as Report).Columns.Column).toHaveLength(3);

    await ctl("POST", `/grants/${g.grantId}/script`, { endpoint: "api", responses: [{ status: 429 }] });
    const limited = await qbApi(path, g.access_token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toContain("xml");
    expect(await limited.text()).toContain("message=ThrottleExceeded; errorCode=003001; statusCode=429");
    expect(await ctl<TenantStats>("GET", `/tenants/${realm}/stats`)).toMatchObject({
      config: { concurrentLimit: 10, minuteLimit: 500 },
    });
  });
});
