// A connection is (workspace, provider, tenant), tried against the fake providers at the HTTP
// boundary: a Xero consent covering a practice and two organisations (the choice at confirm, a
// tenant outside the grant, each organisation's own books, the proxy pinned to the connection, one
// refresh for both, disconnecting one leaves the other), and two QuickBooks companies side by side.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { consent, findGrant, grantRequests, stats, tenantRequests } from "./fake-client";
import { call, confirm, confirmTokenOf, connectSession, errorOf, login, token } from "./helpers";

interface Choice {
  id: string;
  name: string | null;
  type: string | null;
}
interface Batch {
  dates: string[];
  data: Record<string, Record<string, number | null>>;
}

/** Consents through the login and callback as a user who ticks `organisations` Xero organisations. */
async function consentXero(ws: string, organisations: number, role: "admin" | "member" = "admin") {
  const authorize = await login(await connectSession(ws, "Xero", role));
  authorize.searchParams.set("_fake_organisations", String(organisations));
  const { location, code } = await consent(authorize.toString());
  const callback = await call(location.toString());
  const html = await callback.text();
  const confirmToken = confirmTokenOf(html);
  if (!confirmToken) throw new Error(`callback ${callback.status}: ${html.slice(0, 300)}`);
  const listed = /"tenants":(\[[^\]]*\])/.exec(html);
  return { code: code!, confirmToken, tenants: listed ? (JSON.parse(listed[1]!) as Choice[]) : null };
}

const get = async (ws: string, path: string, role: "admin" | "member" = "member") =>
  call(path, { bearer: await token({ [ws]: role }) });

const dataOf = (ws: string, integration: string, fromDate: string, tenantId?: string) =>
  get(
    ws,
    `/integration/data?workspace_id=${ws}&integration=${integration}&from_date=${fromDate}${tenantId ? `&tenant_id=${tenantId}` : ""}`,
  );

const providersOf = async (ws: string) =>
  (await get(ws, `/integration/providers?workspace_id=${ws}`)).json<
    { name: string; connected: boolean; connections: { tenant_id: string | null; tenant_name: string | null }[] }[]
  >();

describe("Xero: one consent, a practice and two organisations", () => {
  const ws = "ws-tenants-xero";
  let orgs: Choice[] = [];
  let grantId = "";

  it("should list every tenant on the callback page and ask for the choice at confirm (409), keeping the token", async () => {
    const { confirmToken, tenants, code } = await consentXero(ws, 2);
    grantId = (await findGrant({ code }))!.grantId;
    expect(tenants?.map((t) => t.type)).toEqual(["PRACTICE", "ORGANISATION", "ORGANISATION"]);
    orgs = tenants!.filter((t) => t.type === "ORGANISATION");
    expect(orgs.map((t) => t.name)).toEqual(["Demo Company Ltd", "Demo Group Holdings"]);

    const unchosen = await confirm(ws, "Xero", confirmToken, { role: "admin" });
    expect(unchosen.status).toBe(409);
    const body = await unchosen.json<{ error: { code: string }; tenants: Choice[] }>();
    expect(body.error.code).toBe("tenant_choice_required");
    // A practice has no books: only the organisations are offered.
    expect(body.tenants).toEqual(orgs);

    // A tenant outside the grant, or the practice: 400, and nothing is stored.
    const practice = tenants!.find((t) => t.type === "PRACTICE")!;
    for (const bad of [["not-in-this-grant"], [orgs[0]!.id, practice.id]]) {
      const refused = await confirm(ws, "Xero", confirmToken, { role: "admin", tenantIds: bad });
      expect(refused.status, bad.join()).toBe(400);
      expect((await errorOf(refused)).code).toBe("invalid_request");
    }
    expect((await providersOf(ws)).find((p) => p.name === "Xero")).toMatchObject({ connected: false, connections: [] });

    const both = await confirm(ws, "Xero", confirmToken, { role: "admin", tenantIds: orgs.map((o) => o.id) });
    expect(both.status).toBe(200);
    const confirmed = await both.json<{
      connections: { tenant_id: string; tenant_name: string; replaced: boolean }[];
    }>();
    expect(confirmed.connections.map((k) => [k.tenant_id, k.tenant_name, k.replaced])).toEqual(
      orgs.map((o) => [o.id, o.name, false]),
    );
    const listed = (await providersOf(ws)).find((p) => p.name === "Xero")!;
    expect(listed.connections.map((k) => k.tenant_id)).toEqual(orgs.map((o) => o.id));
  });

  it("should serve each organisation its own books, and ask which when no tenant_id is given", async () => {
    const [a, b] = orgs as [Choice, Choice];
    const booksA = await (await dataOf(ws, "Xero", "2022-04-01", a.id)).json<Batch>();
    const booksB = await (await dataOf(ws, "Xero", "2022-04-01", b.id)).json<Batch>();
    expect(booksA.dates).toEqual(booksB.dates);
    expect(booksA.data["Total Income"]).not.toEqual(booksB.data["Total Income"]);
    for (const [org, books] of [
      [a, booksA],
      [b, booksB],
    ] as const) {
      const requests = await tenantRequests(org.id);
      expect(requests.length).toBe(4);
      expect(requests.every((r) => r.headers["xero-tenant-id"] === org.id)).toBe(true);
      // Served again from its own cache entry.
      expect(await (await dataOf(ws, "Xero", "2022-04-20", org.id)).json<Batch>()).toMatchObject({ data: books.data });
    }

    const ambiguous = await dataOf(ws, "Xero", "2022-04-01");
    expect(ambiguous.status).toBe(409);
    const body = await ambiguous.json<{ error: { code: string }; tenants: Choice[] }>();
    expect(body.error.code).toBe("tenant_required");
    expect(body.tenants.map((t) => t.id)).toEqual([a.id, b.id]);
    expect((await dataOf(ws, "Xero", "2022-04-01", "someone-else")).status).toBe(404);
  });

  it("should keep data point ids apart when two organisations share account names", async () => {
    const points = await (
      await get(ws, `/integration/dataEndpoints?workspace_id=${ws}&from_date=2022-04-01`)
    ).json<{ id: string; name: string }[]>();
    const ids = points.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const org of orgs) expect(ids).toContain(`Xero:${org.id}[Total Income]`);
  });

  it("should pin the proxy to the connection's organisation", async () => {
    const [, b] = orgs as [Choice, Choice];
    const res = await get(ws, `/integration/proxy/Xero/api.xro/2.0/Organisation?workspace_id=${ws}&tenant_id=${b.id}`);
    await res.body?.cancel();
    const [last] = (await grantRequests(grantId)).slice(-1);
    expect(last?.headers["xero-tenant-id"]).toBe(b.id);
    // Never forwarded upstream.
    expect(last?.query).not.toHaveProperty("tenant_id");
  });

  it("should refresh the shared grant once for both organisations", async () => {
    // A workspace of its own, so its object first reads the connections once their tokens are due.
    const due = "ws-tenants-refresh";
    const { confirmToken, tenants, code } = await consentXero(due, 2);
    const ids = tenants!.filter((t) => t.type === "ORGANISATION").map((t) => t.id);
    expect((await confirm(due, "Xero", confirmToken, { role: "admin", tenantIds: ids })).status).toBe(200);
    await env.DB.prepare("UPDATE integration_access SET expires_at = ? WHERE workspace_id = ?")
      .bind(Date.now() - 1000, due)
      .run();
    const shared = (await findGrant({ code }))!.grantId;
    const answers = await Promise.all(
      ["2021-04-01", "2020-04-01"].flatMap((from) => ids.map((id) => dataOf(due, "Xero", from, id))),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await stats(shared)).refreshRequests).toBe(1);
    // Both connections hold the refreshed tokens: nothing left to refresh.
    const rows = await env.DB.prepare("SELECT DISTINCT token_ciphertext FROM integration_access WHERE workspace_id = ?")
      .bind(due)
      .all();
    expect(rows.results).toHaveLength(1);
    expect((await dataOf(due, "Xero", "2019-04-01", ids[1])).status).toBe(200);
    expect((await stats(shared)).refreshRequests).toBe(1);
  });

  it("should disconnect one organisation without revoking the grant the other uses, and revoke it with the last", async () => {
    const [a, b] = orgs as [Choice, Choice];
    const disconnect = async (tenantId: string) =>
      call(`/integration/disconnect?workspace_id=${ws}&integration=Xero&tenant_id=${tenantId}`, {
        method: "POST",
        bearer: await token({ [ws]: "admin" }),
      });
    const ambiguous = await call(`/integration/disconnect?workspace_id=${ws}&integration=Xero`, {
      method: "POST",
      bearer: await token({ [ws]: "admin" }),
    });
    expect(ambiguous.status).toBe(409);

    expect(await (await disconnect(a.id)).json()).toMatchObject({ disconnected: true });
    const grant = await stats(grantId);
    expect(grant.revoked).toBe(false);
    // Xero's own connection for the organisation is removed; the other stays granted.
    expect(grant.tenants.map((t) => t.id)).not.toContain(a.id);
    expect(grant.tenants.map((t) => t.id)).toContain(b.id);
    expect((await dataOf(ws, "Xero", "2022-04-01", a.id)).status).toBe(404);
    // B still works, and with one connection left no tenant_id is needed.
    expect((await dataOf(ws, "Xero", "2022-04-01")).status).toBe(200);

    expect(await (await disconnect(b.id)).json()).toMatchObject({ disconnected: true });
    expect((await stats(grantId)).revoked).toBe(true);
    expect(await (await disconnect(b.id)).json()).toMatchObject({ disconnected: false });
  });
});

describe("QuickBooks: two companies side by side", () => {
  const ws = "ws-tenants-qbo";

  /** Connects one QuickBooks company (the fake picks a new realm at each consent) as an admin. */
  async function connectRealm(): Promise<string> {
    const authorize = await login(await connectSession(ws, "QuickBooks", "admin"));
    const { location, realmId } = await consent(authorize.toString());
    const html = await (await call(location.toString())).text();
    const confirmed = await confirm(ws, "QuickBooks", confirmTokenOf(html)!, { role: "admin" });
    expect(confirmed.status).toBe(200);
    return realmId!;
  }

  it("should add a second realm beside the first, each read from its own company", async () => {
    const first = await connectRealm();
    const firstBooks = await (await dataOf(ws, "QuickBooks", "2024-01-01")).json<Batch>();
    const second = await connectRealm();
    expect(second).not.toBe(first);
    const listed = (await providersOf(ws)).find((p) => p.name === "QuickBooks")!;
    expect(listed.connections.map((k) => k.tenant_id)).toEqual([first, second]);

    // The first company's books are still the first company's.
    expect(await (await dataOf(ws, "QuickBooks", "2024-01-01", first)).json<Batch>()).toMatchObject({
      data: firstBooks.data,
    });
    const secondBooks = await (await dataOf(ws, "QuickBooks", "2024-01-01", second)).json<Batch>();
    expect(secondBooks.data).not.toEqual(firstBooks.data);
    for (const realm of [first, second]) {
      const paths = (await tenantRequests(realm)).map((r) => r.path);
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.every((p) => p.startsWith(`/v3/company/${realm}/`))).toBe(true);
    }
  });
});
