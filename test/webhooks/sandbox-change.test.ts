// The sandbox's "change the books" (docs/sandbox.md): it adds an invoice that the sandbox's API then
// serves, and notifies this worker with a Xero-format webhook signed with SANDBOX_WEBHOOK_KEY, which
// the route accepts and the workspace turns into a re-fetch and `data.changed`. In the webhooks
// project, whose ENVIRONMENT is development, so the sandbox is on for loopback requests.
//
// workerd cannot reach this worker over HTTP, so here the Sandbox provider's API is the fake's
// (vitest.config.ts points SANDBOX_API_BASE_URL there): for each fetch the test hands the fake what
// the worker's own sandbox serves at that moment, and the fake answers the provider's calls with it.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";
import { addChange, CHANGE_AMOUNT, MAX_CHANGES, readChanges } from "../../src/edge/sandbox/changes";
import data from "../../src/edge/sandbox/data.json";
import { keyRingFromEnv } from "../../src/framework/crypto";
import { addMonths, cacheDateKey, monthEnd, toIsoDate } from "../../src/framework/dates";
import { providerVar } from "../../src/framework/oauth/app";
import { reportMonths } from "../../src/providers/sandbox/months";
import { providers } from "../../src/providers/registry";
import { db } from "../../src/storage/db";
import { workspaceClient } from "../../src/workspace/client";
import { storeAccess } from "../../src/workspace/integration-access";
import { createGrant, scriptApi } from "../fake-client";
import { call, token } from "../helpers";
import { received, until, verified } from "./helpers";

/** Where a local run serves the worker: development surfaces answer loopback hosts only. */
const LOCAL = "http://127.0.0.1:8787";
const [TRADING, HOLDINGS] = data.companies.map((c) => c.id) as [string, string];
const CLIENT_ID = providerVar(providers.Sandbox, "CLIENT_ID", env) ?? "";
const CLIENT_SECRET = providerVar(providers.Sandbox, "CLIENT_SECRET", env) ?? "";
const REDIRECT = `${env.PUBLIC_URL}/integration/sandbox/callback`;
const VERIFIER = "change-the-books-verifier-0123456789-0123456789";

const local = (path: string, init: RequestInit = {}) => exports.default.fetch(new Request(LOCAL + path, init));

const change = (companyId: string, init: RequestInit = {}) =>
  local(`/sandbox/api/v1/companies/${companyId}/change`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
    ...init,
  });

interface Report {
  months: string[];
  lines: { title: string; values: number[] }[];
}

interface ChangeAnswer {
  company_id: string;
  change: { invoiceId: string; month: string; amount: number; at: string };
  changes: number;
  webhook: { delivered: boolean; url: string; status?: number; accepted?: boolean };
}

/** An access token of the sandbox's own authorization server, for both companies. */
async function sandboxToken(): Promise<string> {
  const query = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    state: "s",
    scope: "accounting.read",
    code_challenge: encodeBase64urlNoPadding(sha256(new TextEncoder().encode(VERIFIER))),
    code_challenge_method: "S256",
  });
  const page = await (await local(`/sandbox/oauth/authorize?${query.toString()}`)).text();
  const consent = /name="consent" value="([^"]+)"/.exec(page)?.[1] ?? "";
  const form = new URLSearchParams({ consent, decision: "approve" });
  for (const id of [TRADING, HOLDINGS]) form.append("company", id);
  const approved = await local("/sandbox/oauth/authorize", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form.toString(),
    redirect: "manual",
  });
  const code = new URL(approved.headers.get("Location")!).searchParams.get("code") ?? "";
  const tokens = await local("/sandbox/oauth/token", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`,
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
    }).toString(),
  });
  expect(tokens.status).toBe(200);
  return (await tokens.json<{ access_token: string }>()).access_token;
}

/** The company's report as the sandbox serves it now. */
async function report(accessToken: string, companyId: string, from: string, to: string): Promise<Report> {
  const res = await local(`/sandbox/api/v1/reports/monthly?from=${from}&to=${to}`, {
    headers: { Authorization: `Bearer ${accessToken}`, "Sandbox-Company-Id": companyId },
  });
  expect(res.status).toBe(200);
  return res.json<Report>();
}

const valueOf = (r: Report, title: string, month: string) =>
  r.lines.find((l) => l.title === title)!.values[r.months.findIndex((m) => m.startsWith(month))];

/**
 * A from_date whose cache entry starts in that very month (a 31-day month's end) a year or so back,
 * so the entry's 24 months run to the current one.
 */
function fromDateWithCurrentMonth(): string {
  const today = toIsoDate(new Date());
  const end = monthEnd(addMonths(today, -12));
  return end.endsWith("-31") ? end : monthEnd(addMonths(today, -13));
}

/** Has the fake answer the provider's next fetch of `fromDate` with what the sandbox serves now. */
async function relaySandbox(grantId: string, accessToken: string, fromDate: string): Promise<void> {
  const start = `${toIsoDate(new Date(cacheDateKey(fromDate) * 1000)).slice(0, 8)}01`;
  const bodies = await Promise.all(reportMonths(start).map(({ from, to }) => report(accessToken, TRADING, from, to)));
  // 203: a success whose body the fake takes from the script (a 200 would be its own).
  await scriptApi(
    grantId,
    bodies.map((body) => ({ status: 203, body })),
  );
}

/** A Sandbox connection to Sandbox Trading Ltd in `ws`, its tokens minted at the fake. */
async function connectTrading(ws: string): Promise<string> {
  const grant = await createGrant({ provider: "generic:sandbox", tenantIds: [TRADING] });
  const now = Date.now();
  await storeAccess(db(env.DB), await keyRingFromEnv(env), {
    workspaceId: ws,
    integration: "Sandbox",
    tokens: { accessToken: grant.access_token, refreshToken: grant.refresh_token, tokenType: "Bearer" },
    expiresAt: now + 1800_000,
    scope: "accounting.read",
    tenantId: TRADING,
    tenantName: "Sandbox Trading Ltd",
    additionalInfo: {},
    tokensIssuedAt: now,
  });
  return grant.grantId;
}

/** GET on the loopback host as a member of `ws`. */
async function memberGet<T>(ws: string, path: string): Promise<T> {
  const res = await call(LOCAL + path, { bearer: await token({ [ws]: "member" }) });
  expect(res.status, path).toBe(200);
  return res.json<T>();
}

interface Status {
  tenant_id: string | null;
  last_fetch: { trigger: string; outcome: string } | null;
  provider_events: { events: number; kinds: string[]; refetch_at: string } | null;
}

describe("the sandbox's change the books", () => {
  it("should change the served books and notify the worker, which re-fetches them and sends data.changed", async () => {
    const ws = "ws-sandbox-change";
    const grantId = await connectTrading(ws);
    const accessToken = await sandboxToken();
    const month = toIsoDate(new Date()).slice(0, 7);
    const fromDate = fromDateWithCurrentMonth();
    const dataPath = `/integration/data?workspace_id=${ws}&integration=Sandbox&tenant_id=${TRADING}&from_date=${fromDate}`;

    const before = await report(accessToken, TRADING, month, month);
    const holdingsBefore = await report(accessToken, HOLDINGS, month, month);
    await relaySandbox(grantId, accessToken, fromDate);
    const first = await memberGet<{ dates: string[]; data: Record<string, Record<string, number | null>> }>(
      ws,
      dataPath,
    );
    const monthEndDate = first.dates.find((d) => d.startsWith(month))!;
    expect(first.data["Sales"]![monthEndDate]).toBe(valueOf(before, "Sales", month));

    const res = await change(TRADING);
    expect(res.status).toBe(200);
    const answer = await res.json<ChangeAnswer>();
    expect(answer).toMatchObject({
      company_id: TRADING,
      change: { month, amount: CHANGE_AMOUNT },
      webhook: { delivered: true, url: `${LOCAL}/integration/sandbox/webhooks`, status: 200, accepted: true },
    });

    // The invoice and the lines it moves, so the reports still add up; nothing else, no other company.
    const after = await report(accessToken, TRADING, month, month);
    for (const title of ["Sales", "Total Income", "Gross Profit", "Net Profit", "Accounts Receivable", "Total Assets"])
      expect(valueOf(after, title, month), title).toBeCloseTo(valueOf(before, title, month)! + CHANGE_AMOUNT, 2);
    for (const title of ["Other Revenue", "Rent", "Total Operating Expenses", "Total Liabilities"])
      expect(valueOf(after, title, month), title).toBe(valueOf(before, title, month));
    expect(await report(accessToken, HOLDINGS, month, month)).toEqual(holdingsBefore);

    // The signed notification went through the route and the queue to this connection's window.
    const [window] = await until(async () => {
      const list = await workspaceClient(env, ws).pendingProviderEvents();
      return list.length > 0 && list;
    }, "the sandbox's event noted");
    expect(window).toMatchObject({ integration: "Sandbox", tenantId: TRADING, kinds: ["invoice.updated"], events: 1 });
    const waiting = await memberGet<Status[]>(ws, `/integration/status?workspace_id=${ws}`);
    expect(waiting.find((s) => s.tenant_id === TRADING)?.provider_events).toMatchObject({
      events: 1,
      kinds: ["invoice.updated"],
    });

    // The window closes (as its alarm would): the re-fetch reads the new books.
    await relaySandbox(grantId, accessToken, fromDate);
    await runInDurableObject(
      env.WORKSPACE.getByName(ws),
      (instance: { closeProviderEventWindows(at: number): Promise<unknown> }) =>
        instance.closeProviderEventWindows(Number.MAX_SAFE_INTEGER),
    );
    const changed = await until(
      async () => (await received(ws)).map(verified).find((e) => e.type === "data.changed"),
      "data.changed",
    );
    expect(changed.data).toMatchObject({ integration: "Sandbox", tenant_id: TRADING, kinds: "invoice.updated" });

    const fresh = await memberGet<{ data: Record<string, Record<string, number | null>> }>(ws, dataPath);
    expect(fresh.data["Sales"]![monthEndDate]).toBeCloseTo(first.data["Sales"]![monthEndDate]! + CHANGE_AMOUNT, 2);
    const status = await memberGet<Status[]>(ws, `/integration/status?workspace_id=${ws}`);
    expect(status.find((s) => s.tenant_id === TRADING)).toMatchObject({
      last_fetch: { trigger: "provider_event", outcome: "success" },
      provider_events: null,
    });
  });

  it("should keep at most the latest changes per company", async () => {
    for (let i = 0; i <= MAX_CHANGES; i++) await addChange(env.OAUTH_KV, HOLDINGS, Date.UTC(2026, 0, 1) + i);
    const changes = await readChanges(env.OAUTH_KV, HOLDINGS);
    expect(changes).toHaveLength(MAX_CHANGES);
    expect(changes[0]!.at).toBe(new Date(Date.UTC(2026, 0, 1) + 1).toISOString());
  });

  it("should take JSON only, for a sandbox company, on a loopback host only", async () => {
    expect((await change(TRADING, { headers: { "Content-Type": "text/plain" } })).status).toBe(415);
    expect((await change("no-such-company")).status).toBe(404);
    const remote = await call(`/sandbox/api/v1/companies/${TRADING}/change`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(remote.status).toBe(404);
  });
});
