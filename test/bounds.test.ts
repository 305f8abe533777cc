// Inputs are bounded: from_date within 20 years back and 1 year ahead, the keys the cron keeps warm
// capped per connection, per-workspace limits on what causes upstream work (never on cache reads),
// provider pagination capped, and JSON bodies at most 64 KiB.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addMonths, cacheDateKey, toIsoDate } from "../src/framework/dates";
import { configureTenant, grantRequests, scriptApi, setGustoEmployees, stats, type MintedGrant } from "./fake-client";
import { call, errorOf, getData, seedConnection, token } from "./helpers";

const DAY = 24 * 3600_000;
/** `n` from_dates, each with its own cache key (months without 31 days share the previous month's key). */
function distinctKeys(n: number, from = "2019-01-01"): string[] {
  const dates: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; dates.length < n; i++) {
    const date = addMonths(from, i);
    if (seen.has(cacheDateKey(date))) continue;
    seen.add(cacheDateKey(date));
    dates.push(date);
  }
  return dates;
}

async function unlimited(grant: MintedGrant) {
  for (const tenantId of grant.tenantIds) await configureTenant(tenantId, { minuteLimit: 0 });
}

describe("from_date", () => {
  it.each([
    ["9999-12-31", /between 20 years ago and 1 year ahead/],
    ["2100-01-01", /between 20 years ago and 1 year ahead/],
    ["0022-03-01", /between 20 years ago and 1 year ahead/],
    ["22-03-01", /YYYY-MM-DD/],
    ["2022-02-30", /YYYY-MM-DD/],
  ])("should refuse %s with 400 invalid_request", async (fromDate, message) => {
    const res = await getData("ws-bounds", "Xero", fromDate);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_request");
    expect(error.message).toMatch(message);
  });

  it("should accept the edges: 20 years ago and 1 year ahead (then answer not_connected)", async () => {
    const now = Date.now();
    const edge = (years: number) =>
      toIsoDate(new Date(new Date(now).setUTCFullYear(new Date(now).getUTCFullYear() + years)));
    for (const fromDate of [edge(-20), edge(1)])
      expect((await getData("ws-bounds", "Xero", fromDate)).status).toBe(404);
    expect((await getData("ws-bounds", "Xero", toIsoDate(new Date(now + 366 * DAY + DAY)))).status).toBe(400);
  });
});

describe("warm keys per connection", () => {
  it("should keep at most 24 on-demand keys warm, dropping the oldest", async () => {
    const ws = "ws-warm";
    await unlimited(await seedConnection(ws, "gusto"));
    for (const fromDate of distinctKeys(30)) expect((await getData(ws, "Gusto", fromDate)).status).toBe(200);
    const warm = await env.DB.prepare(
      "SELECT cache_date FROM data_cache WHERE workspace_id = ? AND last_requested_at > 0 ORDER BY cache_date",
    )
      .bind(ws)
      .all<{ cache_date: number }>();
    expect(warm.results).toHaveLength(24);
    const total = await env.DB.prepare("SELECT count(*) AS n FROM data_cache WHERE workspace_id = ?")
      .bind(ws)
      .first<{ n: number }>();
    // The six oldest keep their data (a read still serves it) but the cron no longer refreshes them.
    expect(total?.n).toBe(30);
    const oldest = await env.DB.prepare(
      "SELECT last_requested_at FROM data_cache WHERE workspace_id = ? ORDER BY cache_date LIMIT 6",
    )
      .bind(ws)
      .all<{ last_requested_at: number }>();
    expect(oldest.results.every((r) => r.last_requested_at === 0)).toBe(true);
  });
});

describe("per-workspace limits on upstream work", () => {
  // 200 here: with hundreds of requests in flight the test harness's own loopback (exports.default.fetch)
  // starts dropping the object's outbound fetch on a loaded machine (always past ~700).
  // test/node/dev-burst.test.ts sends 1,000 to wrangler dev over real HTTP.
  it("should answer all of 200 concurrent reads of one new key, counting one new key", async () => {
    const ws = "ws-burst-reads";
    const grant = await seedConnection(ws, "gusto");
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async () => (await getData(ws, "Gusto", "2024-03-01")).status),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect((await stats(grant.grantId)).apiRequests).toBe(1);
    // Counted per connection: each company of the workspace has its own hourly budget.
    const counted = await runInDurableObject(env.WORKSPACE.getByName(ws), (_i, state) =>
      state.storage.kv.get<{ count: number }>(`limit:new_key:Gusto/${encodeURIComponent(grant.tenantIds[0]!)}`),
    );
    expect(counted?.count).toBe(1);
  });

  it("should answer 429 with Retry-After past 40 new keys an hour, and keep serving cached ones", async () => {
    const ws = "ws-new-keys";
    await unlimited(await seedConnection(ws, "gusto"));
    for (const fromDate of distinctKeys(40)) expect((await getData(ws, "Gusto", fromDate)).status).toBe(200);
    const limited = await getData(ws, "Gusto", distinctKeys(41)[40]!);
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).code).toBe("rate_limited");
    const retryAfter = Number(limited.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Reads served from the cache never count.
    expect((await getData(ws, "Gusto", "2019-01-01")).status).toBe(200);
  });

  it("should answer 429 past 5 manual fetches and 12 connect sessions an hour", async () => {
    const ws = "ws-limits";
    await seedConnection(ws, "xero");
    const bearer = await token({ [ws]: "admin" });
    const fetchNow = () => call(`/integration/fetch?workspace_id=${ws}&integration=Xero`, { method: "POST", bearer });
    for (let i = 0; i < 5; i++) expect((await fetchNow()).status).toBe(202);
    const fetch6 = await fetchNow();
    expect(fetch6.status).toBe(429);
    expect(fetch6.headers.get("Retry-After")).toMatch(/^\d+$/);

    const session = () =>
      call("/integration/connect-sessions", {
        method: "POST",
        bearer,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ workspace_id: ws, integration: "Gusto" }),
      });
    for (let i = 0; i < 12; i++) expect((await session()).status).toBe(201);
    expect((await session()).status).toBe(429);
  });
});

describe("provider pagination", () => {
  it("should refuse a company whose X-Total-Pages is past the hard limit, after one page", async () => {
    const ws = "ws-pages-header";
    const grant = await seedConnection(ws, "gusto");
    await scriptApi(grant.grantId, [{ headers: { "X-Total-Pages": "5000" } }]);
    const res = await getData(ws, "Gusto", "2024-01-01");
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toMatchObject({
      code: "provider_data_invalid",
      message: expect.stringMatching(/5000 pages/) as string,
    });
    expect((await grantRequests(grant.grantId)).filter((r) => r.path.endsWith("/employees"))).toHaveLength(1);
  });

  it("should stop a provider that keeps sending pages, with no page count and no empty page, at 100 pages", async () => {
    const ws = "ws-pages-endless";
    const grant = await seedConnection(ws, "gusto");
    await unlimited(grant);
    // More employees than 100 pages hold, and no X-Total-Pages to say when it ends.
    await setGustoEmployees(
      grant.tenantIds[0]!,
      Array.from({ length: 101 * 100 }, (_, i) => ({ uuid: `e${i}` })),
    );
    await scriptApi(
      grant.grantId,
      Array.from({ length: 101 }, () => ({ headers: { "X-Total-Pages": "" } })),
    );
    const res = await getData(ws, "Gusto", "2024-01-01");
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toMatchObject({
      code: "provider_data_invalid",
      message: expect.stringMatching(/more than 100 pages/) as string,
    });
    expect((await grantRequests(grant.grantId)).filter((r) => r.path.endsWith("/employees"))).toHaveLength(100);
  });
});

describe("request bodies", () => {
  it("should answer 413 to a JSON body over 64 KiB, before reading it as JSON", async () => {
    const big = JSON.stringify({ workspace_id: "ws-big", integration: "Xero", padding: "x".repeat(70 * 1024) });
    for (const path of ["/integration/connect-sessions", "/integration/connections/confirm"]) {
      const res = await call(path, {
        method: "POST",
        bearer: await token({ "ws-big": "admin" }),
        headers: { "Content-Type": "application/json" },
        body: big,
      });
      expect(res.status).toBe(413);
      expect((await errorOf(res)).code).toBe("payload_too_large");
    }
  });
});
