// The Xero adapter through the data API: the 12-month batch rule's periods and one-month report
// columns against the fake Xero (whose columns mean what Xero's do), the cache, single-flight fetches
// and Xero's limits.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { UnexpectedReportError } from "../src/framework/data";
import { addMonths, cacheDateKey } from "../src/framework/dates";
import { isTransient } from "../src/framework/failure";
import { workspaceClient } from "../src/workspace/client";
import { batchPeriods, parseReport, readReport, reportRequests } from "../src/providers/xero/report";
import { configureTenant, scriptApi, setXeroReport, tenantRequests, tenantStats, xeroReport } from "./fake-client";
import pl from "./fixtures/xero/profit-and-loss-2021-05-to-2022-03.json";
import { call, errorOf, fetchRuns, getData, seedConnection, token, monthEndsBetween, thrown } from "./helpers";

interface Batch {
  fetched_at: string;
  dates: string[];
  data: Record<string, Record<string, number | null>>;
}

async function connectXero(ws: string) {
  const grant = await seedConnection(ws, "xero");
  return { grant, tenantId: grant.tenantIds.at(-1)! };
}

describe("Xero data", () => {
  it("should request the 12-month batch rule's periods for 24 months from the cache date, one month per P&L column", async () => {
    const { tenantId } = await connectXero("ws-periods");
    const res = await getData("ws-periods", "Xero", "2020-04-15");
    expect(res.status).toBe(200);
    const body = await res.json<Batch>();
    // from_date 2020-04-15 → cache date 2020-03-31 → 24 months to 2022-02-28, in periods of at most 12 months.
    expect(body.dates).toEqual(monthEndsBetween("2020-03-31", "2022-02-28"));
    for (const values of Object.values(body.data)) expect(Object.keys(values).sort()).toEqual(body.dates);
    expect(Date.parse(body.fetched_at)).toBeGreaterThan(Date.now() - 60_000);

    const requests = await tenantRequests(tenantId);
    // Each P&L spans the period's last month, compared with the 11 months before it.
    expect(requests.map((r) => [r.path, r.query.fromDate ?? r.query.date, r.query.toDate ?? null])).toEqual([
      ["/api.xro/2.0/Reports/ProfitAndLoss", "2021-02-01", "2021-02-28"],
      ["/api.xro/2.0/Reports/BalanceSheet", "2021-02-28", null],
      ["/api.xro/2.0/Reports/ProfitAndLoss", "2022-02-01", "2022-02-28"],
      ["/api.xro/2.0/Reports/BalanceSheet", "2022-02-28", null],
    ]);
    for (const r of requests) {
      expect(r.headers["xero-tenant-id"]).toBe(tenantId);
      expect(r.headers.accept).toContain("application/json");
      expect(r.query).toMatchObject({ periods: "11", timeframe: "MONTH", standardLayout: "true" });
    }
  });

  it("should serve each month's own figures: twelve months add up to the cent to one P&L over the period", async () => {
    const { tenantId } = await connectXero("ws-months");
    const body = await (await getData("ws-months", "Xero", "2020-04-15")).json<Batch>();
    for (const period of batchPeriods("2020-03-31", "2022-02-28")) {
      // The whole period in one column: what Xero sums from the first day to the last.
      const whole = parseReport(
        await xeroReport(tenantId, "ProfitAndLoss", { fromDate: addMonths(period.start, 0), toDate: period.end }),
      );
      const [end] = whole.dates;
      const months = monthEndsBetween(period.start, period.end);
      expect(months).toHaveLength(12);
      for (const [title, values] of Object.entries(whole.data)) {
        const cents = months.reduce((sum, month) => sum + Math.round((body.data[title]?.[month] ?? NaN) * 100), 0);
        expect(cents, `${title} over ${period.start}..${period.end}`).toBe(Math.round(values[end!]! * 100));
      }
    }
  });

  it("should not serve rolling sums: the old 12-month span with periods=11 gives other figures than the months", async () => {
    const { tenantId } = await connectXero("ws-rolling");
    const body = await (await getData("ws-rolling", "Xero", "2020-04-15")).json<Batch>();
    let cells = 0;
    let wrong = 0;
    for (const period of batchPeriods("2020-03-31", "2022-02-28")) {
      // Zebbra's original framework's request: the whole period as the span, moved back a month per column.
      const old = parseReport(
        await xeroReport(tenantId, "ProfitAndLoss", {
          fromDate: period.start,
          toDate: period.end,
          periods: "11",
          timeframe: "MONTH",
        }),
      );
      for (const [title, values] of Object.entries(old.data))
        for (const month of old.dates) {
          cells += 1;
          if (values[month] !== body.data[title]?.[month]) wrong += 1;
        }
      // And the adapter refuses such an answer instead of caching it.
      const [request] = reportRequests(period);
      const stale = await xeroReport(tenantId, "ProfitAndLoss", {
        fromDate: period.start,
        toDate: period.end,
        periods: "11",
      });
      expect(thrown(() => readReport(request, stale))).toBeInstanceOf(UnexpectedReportError);
    }
    // Every column of the old answer sums twelve months: it equals one month's figure only by chance.
    expect(cells).toBe(2 * 12 * 15);
    expect(wrong).toBeGreaterThan(cells * 0.9);
  });

  it("should refuse the recorded Profit & Loss (17 May 2021 to 31 March 2022 per column) as unexpected_report and cache nothing", async () => {
    const { tenantId } = await connectXero("ws-recorded");
    await setXeroReport(tenantId, "ProfitAndLoss", pl);
    const res = await getData("ws-recorded", "Xero", "2021-04-01");
    expect(res.status).toBe(502);
    const error = await errorOf(res);
    expect(error.code).toBe("unexpected_report");
    expect(error.message).toContain("not one month");
    const cached = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM data_cache WHERE workspace_id = 'ws-recorded'",
    ).first<{
      n: number;
    }>();
    expect(cached?.n).toBe(0);
    const runs = await fetchRuns("ws-recorded", "Xero");
    expect(runs.map((r) => r.outcome)).toEqual(["error"]);
    expect(runs[0]!.error).toMatch(
      /^unexpected_report: Xero: the ProfitAndLoss report columns span 2021-05-17 to 2022-03-31/,
    );
  });

  it("should serve a cache hit with no upstream call, for every from_date of the same cache month", async () => {
    const { tenantId } = await connectXero("ws-hit");
    const first = await (await getData("ws-hit", "Xero", "2022-02-10")).json<Batch>();
    const calls = (await tenantRequests(tenantId)).length;
    // Cache date 2022-01-31: two 12-month periods, a P&L and a Balance Sheet each.
    expect(calls).toBe(4);
    // 2022-02-10 and 2022-01-20 share the cache date, 2022-01-31.
    const second = await (await getData("ws-hit", "Xero", "2022-01-20")).json<Batch>();
    expect(second).toEqual(first);
    expect((await tenantRequests(tenantId)).length).toBe(calls);
    const row = await env.DB.prepare("SELECT cache_date FROM data_cache WHERE workspace_id = 'ws-hit'").first<{
      cache_date: number;
    }>();
    expect(row?.cache_date).toBe(cacheDateKey("2022-01-31"));
  });

  it("should make one upstream fetch for 10 concurrent cold requests", async () => {
    const { tenantId } = await connectXero("ws-cold");
    const responses = await Promise.all(Array.from({ length: 10 }, () => getData("ws-cold", "Xero", "2021-07-01")));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect((await tenantRequests(tenantId)).length).toBe(4);
    expect(await fetchRuns("ws-cold", "Xero")).toHaveLength(1);
  });

  it("should keep at most 5 calls in flight per tenant", async () => {
    const { tenantId } = await connectXero("ws-limit");
    await configureTenant(tenantId, { latencyMs: 30 });
    // 36 months of periods: many reports requested at once.
    expect((await getData("ws-limit", "Xero", "2019-01-01")).status).toBe(200);
    const stats = await tenantStats(tenantId);
    expect(stats.maxConcurrent).toBeLessThanOrEqual(5);
    expect(stats.maxConcurrent).toBeGreaterThan(1);
    expect(stats.rateLimited).toBe(0);
  });

  it("should wait out a 429 with Retry-After and succeed", async () => {
    const { grant, tenantId } = await connectXero("ws-429");
    await scriptApi(grant.grantId, [{ status: 429, retryAfter: 1 }]);
    expect((await getData("ws-429", "Xero", "2021-07-01")).status).toBe(200);
    const requests = await tenantRequests(tenantId);
    expect(requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(requests.filter((r) => r.status === 200)).toHaveLength(4);
  });

  it("should keep serving the stale cache when a refresh fails with 500", async () => {
    const { grant } = await connectXero("ws-stale");
    const good = await (await getData("ws-stale", "Xero", "2021-07-01")).json<Batch>();
    await scriptApi(
      grant.grantId,
      Array.from({ length: 4 }, () => ({ status: 500 })),
    );
    const outcome = await workspaceClient(env, "ws-stale").runFetch(
      { integration: "Xero" },
      cacheDateKey("2021-07-01"),
      "manual",
    );
    expect(!outcome.ok && outcome.failure).toMatchObject({ reason: "provider_unavailable" });
    expect(!outcome.ok && isTransient(outcome.failure.reason)).toBe(true);
    const again = await (await getData("ws-stale", "Xero", "2021-07-01")).json<Batch>();
    expect(again).toEqual(good);
    const runs = await fetchRuns("ws-stale", "Xero");
    expect(runs.map((r) => r.outcome)).toEqual(["error", "success"]);
    expect(runs[0]!.error).toMatch(/^provider_unavailable/);
    expect(runs[0]!.error).not.toContain(grant.access_token);
  });

  it("should answer 404 not_connected and 400 for a bad from_date", async () => {
    const res = await getData("ws-nothing", "Xero", "2021-07-01");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_connected");
    const bad = await getData("ws-nothing", "Xero", "2022-02-30");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toContain("from_date");
  });

  it("should list the data points of connected accounting providers (the data points of Zebbra's original framework)", async () => {
    await connectXero("ws-points");
    await seedConnection("ws-points", "gusto");
    const res = await call("/integration/dataEndpoints?workspace_id=ws-points&from_date=2020-04-15", {
      bearer: await token({ "ws-points": "member" }),
    });
    const points = await res.json<{ id: string; integration: string; name: string }[]>();
    expect(points).toContainEqual({
      id: "Xero[Total Income]",
      integration: "Xero",
      name: "Total Income",
      cache_date: "2020-03-31",
    });
    expect(points.every((p) => p.integration === "Xero")).toBe(true);
  });
});
