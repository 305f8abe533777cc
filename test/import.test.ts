// POST /admin/connections/import: operator only, each item's tenant looked up or verified at the
// (fake) provider with its own access token, stored encrypted through the workspace's object, idempotent
// on (workspace, provider, tenant), and its refresh token then refreshed once however many callers wait.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/edge/app";
import { TEST_BINDINGS } from "./bindings";
import { createGrant, gate, type MintedGrant, revokeGrant, script, stats } from "./fake-client";
import { accessOutcome, call, errorOf, getData, rawAccessRow, token } from "./helpers";

const ADMIN = TEST_BINDINGS.ADMIN_API_TOKEN;

interface ItemResult {
  index: number;
  status: "imported" | "replaced" | "error";
  tenant_id?: string | null;
  error?: { code: string; message: string };
}
interface ImportAnswer {
  imported: number;
  replaced: number;
  errors: number;
  results: ItemResult[];
}

/** `bearer` null: no Authorization header. */
function importCall(body: unknown, bearer: string | null = ADMIN): Promise<Response> {
  return call("/admin/connections/import", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    ...(bearer === null ? {} : { bearer }),
  });
}

async function importItems(connections: unknown[]): Promise<{ text: string; answer: ImportAnswer }> {
  const res = await importCall({ connections });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { text, answer: JSON.parse(text) as ImportAnswer };
}

/** An import item for `grant`'s tokens, as another store would hold them. */
const itemOf = (workspaceId: string, integration: string, grant: MintedGrant, extra: Record<string, unknown> = {}) => ({
  workspace_id: workspaceId,
  integration,
  access_token: grant.access_token,
  refresh_token: grant.refresh_token,
  ...extra,
});

const organisation = (grant: MintedGrant) => grant.tenants.find((t) => t.type === "ORGANISATION")!.id;

afterEach(() => vi.restoreAllMocks());

describe("who may import", () => {
  it("should answer 404 for all of /admin/ when ADMIN_API_TOKEN is unset", async () => {
    const variant = { ...env, ADMIN_API_TOKEN: "" } as Env;
    const ctx = createExecutionContext();
    const res = await createApp(variant).fetch(
      new Request("https://integrations.example.test/admin/connections/import", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ connections: [] }),
      }),
      variant,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
  });

  it("should answer 401 to a workspace JWT, to a wrong token and to none", async () => {
    const jwt = await token({ "ws-imp-auth": "admin" });
    for (const bearer of [jwt, `${ADMIN}x`, "short", null]) {
      const res = await importCall({ connections: [] }, bearer);
      expect(res.status, String(bearer)).toBe(401);
      expect((await errorOf(res)).code).toMatch(/^token_(invalid|missing)$/);
    }
    expect((await importCall({ connections: [] })).status).toBe(200);
  });

  it("should refuse a malformed envelope or more than 1,000 items with 400, and more than 8 MiB with 413", async () => {
    expect((await errorOf(await importCall({ items: [] }))).code).toBe("invalid_request");
    const many = await importCall({ connections: Array.from({ length: 1001 }, () => ({})) });
    expect(many.status).toBe(400);
    expect((await errorOf(many)).message).toContain("1000");
    const huge = await importCall({ connections: [{ access_token: "x".repeat(8 * 1024 * 1024) }] });
    expect(huge.status).toBe(413);
    expect((await errorOf(huge)).code).toBe("payload_too_large");
  });
});

describe("importing", () => {
  it("should import, then replace the same (workspace, provider, tenant), never echoing a token", async () => {
    const ws = "ws-imp-idem";
    const grant = await createGrant({ provider: "xero" });
    const expiresAt = new Date(Date.now() + 20 * 60_000).toISOString();
    const first = await importItems([itemOf(ws, "Xero", grant, { expires_at: expiresAt, connected_by: "u-old" })]);
    expect(first.answer).toMatchObject({ imported: 1, replaced: 0, errors: 0 });
    // The grant's only readable tenant (the fake's Xero grant also lists a practice) was looked up.
    expect(first.answer.results).toEqual([{ index: 0, status: "imported", tenant_id: organisation(grant) }]);
    const row = (await rawAccessRow(ws, "Xero"))!;
    expect(row).toMatchObject({ tenant_id: organisation(grant), connected_by: "u-old", requires_reconnect: 0 });
    expect(row["expires_at"]).toBe(Date.parse(expiresAt));
    // Stored encrypted: the ciphertext holds neither token.
    expect(JSON.stringify(row)).not.toContain(grant.access_token);
    expect(JSON.stringify(row)).not.toContain(grant.refresh_token);

    const again = await importItems([itemOf(ws, "Xero", grant, { tenant_id: organisation(grant) })]);
    expect(again.answer).toMatchObject({ imported: 0, replaced: 1, errors: 0 });
    expect(again.answer.results[0]).toMatchObject({ status: "replaced" });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM integration_access WHERE workspace_id = ?")
      .bind(ws)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
    for (const text of [first.text, again.text]) {
      expect(text).not.toContain(grant.access_token);
      expect(text).not.toContain(grant.refresh_token);
    }
    // The imported connection serves data with its access token.
    expect((await getData(ws, "Xero", "2024-06-15")).status).toBe(200);
  });

  it("should verify a given tenant_id, refuse one the grant does not cover, and ask for one among several", async () => {
    const ws = "ws-imp-tenant";
    const two = await createGrant({ provider: "xero", tenants: [{ name: "One" }, { name: "Two" }] });
    const single = await createGrant({ provider: "gusto" });
    const { answer, text } = await importItems([
      itemOf(ws, "Xero", two),
      itemOf(ws, "Xero", two, { tenant_id: "not-a-tenant-of-the-grant" }),
      itemOf(ws, "Xero", two, { tenant_id: two.tenantIds[1] }),
      itemOf(ws, "Gusto", single),
      { workspace_id: ws, integration: "Xero" },
      itemOf(ws, "NoSuchProvider", single),
    ]);
    expect(answer).toMatchObject({ imported: 2, replaced: 0, errors: 4 });
    expect(answer.results[0]).toMatchObject({ index: 0, status: "error", error: { code: "tenant_required" } });
    // The choice names the tenants, never a token.
    expect(answer.results[0]!.error!.message).toContain(two.tenantIds[0]);
    expect(answer.results[1]).toMatchObject({ status: "error", error: { code: "invalid_request" } });
    expect(answer.results[2]).toEqual({ index: 2, status: "imported", tenant_id: two.tenantIds[1] });
    expect(answer.results[3]).toEqual({ index: 3, status: "imported", tenant_id: single.tenantIds[0] });
    expect(answer.results[4]).toMatchObject({ status: "error", error: { code: "invalid_request" } });
    expect(answer.results[4]!.error!.message).toContain("access_token");
    expect(answer.results[5]).toMatchObject({ status: "error", error: { code: "unknown_integration" } });
    for (const t of [two.access_token, two.refresh_token, single.access_token]) expect(text).not.toContain(t);
  });

  it("should name a token the provider refuses as that item's error, and store nothing for it", async () => {
    const ws = "ws-imp-refused";
    const revoked = await createGrant({ provider: "xero" });
    await revokeGrant(revoked.grantId);
    const { answer } = await importItems([itemOf(ws, "Xero", revoked)]);
    expect(answer.results[0]).toMatchObject({ status: "error", error: { code: "reconnect_required" } });
    expect(await rawAccessRow(ws, "Xero")).toBeNull();
  });

  it("should verify a QuickBooks realm with one API call and require it when absent", async () => {
    const ws = "ws-imp-qbo";
    const grant = await createGrant({ provider: "quickbooks" });
    const realm = grant.tenantIds[0]!;
    const before = (await stats(grant.grantId)).apiRequests;
    const { answer } = await importItems([
      itemOf(ws, "QuickBooks", grant),
      itemOf(ws, "QuickBooks", grant, { tenant_id: realm }),
    ]);
    expect(answer.results[0]).toMatchObject({ status: "error", error: { code: "tenant_required" } });
    expect(answer.results[1]).toEqual({ index: 1, status: "imported", tenant_id: realm });
    expect((await stats(grant.grantId)).apiRequests - before).toBe(1);
  });

  it("should take expires_at as epoch seconds or ISO 8601, and refresh on first use when it is absent", async () => {
    const seconds = Math.floor(Date.now() / 1000) + 1200;
    const iso = "2031-01-02T03:04:05+01:00";
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createGrant({ provider: "gusto" })));
    await importItems([
      itemOf("ws-imp-exp-s", "Gusto", a!, { expires_at: seconds }),
      itemOf("ws-imp-exp-iso", "Gusto", b!, { expires_at: iso }),
      itemOf("ws-imp-exp-none", "Gusto", c!),
    ]);
    expect((await rawAccessRow("ws-imp-exp-s", "Gusto"))!["expires_at"]).toBe(seconds * 1000);
    expect((await rawAccessRow("ws-imp-exp-iso", "Gusto"))!["expires_at"]).toBe(Date.parse(iso));
    const bad = await importItems([itemOf("ws-imp-exp-bad", "Gusto", c!, { expires_at: "next tuesday" })]);
    expect(bad.answer.results[0]).toMatchObject({ status: "error", error: { code: "invalid_request" } });
    expect(bad.answer.results[0]!.error!.message).toContain("expires_at");
    // Unknown expiry: the first use refreshes.
    const outcome = await accessOutcome("ws-imp-exp-none", "Gusto");
    expect(outcome.ok).toBe(true);
    expect((await stats(c!.grantId)).refreshRequests).toBe(1);
  });

  it("should refresh an imported refresh token exactly once under concurrent reads", async () => {
    const ws = "ws-imp-once";
    const grant = await createGrant({ provider: "xero" });
    await importItems([itemOf(ws, "Xero", grant, { expires_at: Math.floor(Date.now() / 1000) - 60 })]);
    // The refresh's answer is held until every reader is waiting on it.
    const answer = gate("import-refresh");
    await script(grant.grantId, "token", [{ hold: answer.name, holdAt: "answer" }]);
    const readers = Array.from({ length: 5 }, () => accessOutcome(ws, "Xero"));
    await answer.held();
    await answer.release();
    const outcomes = await Promise.all(readers);
    const tokens = new Set(outcomes.map((o) => (o.ok ? o.access.accessToken : o.failure.reason)));
    expect(tokens.size).toBe(1);
    const summary = await stats(grant.grantId);
    expect([...tokens][0]).toBe(summary.currentAccessToken);
    expect(summary).toMatchObject({ refreshRequests: 1, revoked: false, maxConcurrentRefresh: 1 });
  });

  it("should keep tokens out of the log", async () => {
    const logged = [vi.spyOn(console, "log"), vi.spyOn(console, "warn"), vi.spyOn(console, "error")];
    const grant = await createGrant({ provider: "xero" });
    await importItems([
      itemOf("ws-imp-log", "Xero", grant, { tenant_id: "not-covered" }),
      itemOf("ws-imp-log", "Xero", grant),
    ]);
    const text = logged.flatMap((spy) => spy.mock.calls.map((c) => c.map(String).join(" "))).join("\n");
    expect(text).not.toContain(grant.access_token);
    expect(text).not.toContain(grant.refresh_token);
  });
});
