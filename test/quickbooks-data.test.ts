// The QuickBooks adapter through the worker: connected through the popup against the fake Intuit,
// then GET /integration/data reads 24 months of Profit & Loss and Balance Sheet reports by month,
// four six-month periods each, within Intuit's per-realm limits; upstream calls are counted. Every
// line is served (parents' own postings, repeated names qualified, Net Income the month's), and a
// report that does not add up or cannot be placed is logged and cached nowhere.
import { describe, expect, it } from "vitest";
import {
  clearQuickBooksReport,
  configureTenant,
  findGrant,
  scriptApi,
  setQuickBooksReport,
  tenantRequests,
  tenantStats,
  type GrantSummary,
} from "./fake-client";
import bs from "./fixtures/quickbooks/balance-sheet-2024-01-to-2024-06.json";
import pl from "./fixtures/quickbooks/profit-and-loss-2024-01-to-2024-06.json";
import { connectThroughPopup, errorOf, fetchRuns, getData, monthEndsBetween } from "./helpers";

/** The realm's report calls (the company check at connect time is not one). */
const reportCalls = async (realm: string) => (await tenantRequests(realm)).filter((r) => r.path.includes("/reports/"));

interface Batch {
  fetched_at: string;
  dates: string[];
  data: Record<string, Record<string, number | null>>;
}

/** Connects QuickBooks to `ws` through the worker's routes; the realm is the one the fake picked at consent. */
async function connectQuickBooks(ws: string): Promise<{ grant: GrantSummary; realmId: string }> {
  const { code } = await connectThroughPopup(ws, "QuickBooks");
  const grant = (await findGrant({ code }))!;
  return { grant, realmId: grant.tenantIds[0]! };
}

describe("QuickBooks data", () => {
  it("should read both reports by month for four six-month periods of the 24 months", async () => {
    const { realmId } = await connectQuickBooks("ws-qb-periods");
    // from_date 2024-02-10 → cache date 2024-01-31 → January 2024 to December 2025.
    const res = await getData("ws-qb-periods", "QuickBooks", "2024-02-10");
    expect(res.status).toBe(200);
    const body = await res.json<Batch>();
    expect(body.dates).toEqual(monthEndsBetween("2024-01-31", "2025-12-31"));
    expect(Object.keys(body.data)).toContain("Net Operating Income");
    expect(Object.keys(body.data)).toContain("TOTAL ASSETS");
    // The fake's parent with postings of its own, its account name under two parents, and the
    // Balance Sheet's year-to-date Net Income beside the month's.
    expect(Object.keys(body.data)).toEqual(
      expect.arrayContaining([
        "Automobile",
        "Expenses / Automobile / Insurance",
        "Expenses / Insurance",
        "Net Income",
        "LIABILITIES AND EQUITY / Equity / Net Income",
      ]),
    );
    expect(Object.keys(body.data)).not.toContain("Insurance");
    const cents = (title: string) => body.dates.map((d) => Math.round((body.data[title]?.[d] ?? NaN) * 100));
    let yearToDate = 0;
    expect(cents("LIABILITIES AND EQUITY / Equity / Net Income")).toEqual(
      cents("Net Income").map((v, i) => (yearToDate = (i % 12 === 0 ? 0 : yearToDate) + v)),
    );
    for (const values of Object.values(body.data)) expect(Object.keys(values)).toEqual(body.dates);

    const requests = await reportCalls(realmId);
    expect(requests).toHaveLength(8);
    const periods = [
      ["2024-01-01", "2024-06-30"],
      ["2024-07-01", "2024-12-31"],
      ["2025-01-01", "2025-06-30"],
      ["2025-07-01", "2025-12-31"],
    ];
    const expected = periods.flatMap(([start, end]) =>
      ["ProfitAndLoss", "BalanceSheet"].map((report) => `/v3/company/${realmId}/reports/${report} ${start} ${end}`),
    );
    expect(requests.map((r) => `${r.path} ${r.query.start_date} ${r.query.end_date}`).sort()).toEqual(expected.sort());
    for (const r of requests) {
      expect(r.method).toBe("GET");
      expect(r.status).toBe(200);
      expect(r.headers.accept).toBe("application/json");
      expect(r.query).toMatchObject({ summarize_column_by: "Month", accounting_method: "Accrual", minorversion: "75" });
    }
  });

  it("should turn the fixtures into one DataBatch, Net Income the month's and the year to date qualified", async () => {
    const { realmId } = await connectQuickBooks("ws-qb-fixtures");
    await setQuickBooksReport(realmId, "ProfitAndLoss", pl);
    await setQuickBooksReport(realmId, "BalanceSheet", bs);
    const body = await (await getData("ws-qb-fixtures", "QuickBooks", "2024-02-10")).json<Batch>();
    // Every period got the same January–June 2024 reports.
    expect(body.dates).toEqual(monthEndsBetween("2024-01-31", "2024-06-30"));
    // An empty cell (March) is 0.
    expect(body.data["Design income"]).toMatchObject({ "2024-02-29": 950, "2024-03-31": 0, "2024-06-30": 1375.5 });
    expect(body.data["TOTAL ASSETS"]).toMatchObject({ "2024-01-31": 47789.19, "2024-02-29": 48492.87 });
    // Automobile's own postings, from its section's Header.
    expect(body.data["Automobile"]).toMatchObject({ "2024-01-31": 113, "2024-06-30": 130.25 });
    // "Net Income" is the Profit & Loss's month; the Balance Sheet's equity year to date is its own line.
    expect(body.data["Net Income"]).toMatchObject({ "2024-01-31": -8.98, "2024-02-29": 631.78, "2024-06-30": 2371.12 });
    expect(body.data["LIABILITIES AND EQUITY / Equity / Net Income"]).toMatchObject({
      "2024-02-29": 622.8,
      "2024-06-30": 5974.98,
    });
  });

  it("should log a report that does not add up, cache nothing and read it again once it does", async () => {
    const { realmId } = await connectQuickBooks("ws-qb-unexpected");
    // The Automobile section's Summary without its Header's own postings, as the old reading saw it.
    const broken = structuredClone(pl);
    const expenses = broken.Rows.Row.find((row) => row.Header?.ColData[0]?.value === "Expenses");
    const automobile = expenses?.Rows?.Row.find((row) => row.Header?.ColData[0]?.value === "Automobile");
    for (const cell of automobile?.Header?.ColData.slice(1) ?? []) cell.value = "";
    await setQuickBooksReport(realmId, "ProfitAndLoss", broken);
    const res = await getData("ws-qb-unexpected", "QuickBooks", "2024-02-10");
    expect(res.status).toBe(502);
    const error = await errorOf(res);
    expect(error.code).toBe("unexpected_report");
    expect(error.message).toMatch(/ProfitAndLoss report's section Rows\.Row\[3\]\.Rows\.Row\[1\] does not add up/);
    const runs = await fetchRuns("ws-qb-unexpected", "QuickBooks");
    expect(runs.map((r) => r.outcome)).toEqual(["error"]);
    expect(runs[0]!.error).toMatch(/^unexpected_report: QuickBooks: /);
    expect(runs[0]!.error).not.toMatch(/Automobile|113/);

    // Nothing was cached: the next read asks Intuit again, and serves what adds up.
    await clearQuickBooksReport(realmId, "ProfitAndLoss");
    const before = (await reportCalls(realmId)).length;
    expect((await getData("ws-qb-unexpected", "QuickBooks", "2024-02-10")).status).toBe(200);
    expect((await reportCalls(realmId)).length).toBe(before + 8);
    expect((await fetchRuns("ws-qb-unexpected", "QuickBooks")).map((r) => r.outcome)).toEqual(["success", "error"]);
  });

  it("should log a line it cannot place as a provider error", async () => {
    const { realmId } = await connectQuickBooks("ws-qb-unplaced");
    const odd = structuredClone(bs) as { Rows: { Row: unknown[] } };
    odd.Rows.Row.push({ ColData: [{ value: "" }, { value: "1.00" }], type: "Data" });
    await setQuickBooksReport(realmId, "BalanceSheet", odd);
    const res = await getData("ws-qb-unplaced", "QuickBooks", "2024-02-10");
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe("provider_data_invalid");
    const runs = await fetchRuns("ws-qb-unplaced", "QuickBooks");
    expect(runs[0]!.error).toMatch(
      /^provider_data_invalid: QuickBooks: unexpected report shape: row Rows\.Row\[2\] has no title/,
    );
  });

  it("should answer a second request of the same cache month from the cache, with no upstream call", async () => {
    const { realmId } = await connectQuickBooks("ws-qb-cache");
    const first = await (await getData("ws-qb-cache", "QuickBooks", "2024-02-10")).json<Batch>();
    expect(await reportCalls(realmId)).toHaveLength(8);
    const second = await (await getData("ws-qb-cache", "QuickBooks", "2024-02-27")).json<Batch>();
    expect(second).toEqual(first);
    expect(await reportCalls(realmId)).toHaveLength(8);
  });

  it("should keep at most 10 calls in flight per realm, across fetches", async () => {
    const { realmId } = await connectQuickBooks("ws-qb-limit");
    await configureTenant(realmId, { latencyMs: 100 });
    // Two cache months at once: 16 report requests to one realm, through one limiter.
    const responses = await Promise.all([
      getData("ws-qb-limit", "QuickBooks", "2024-02-10"),
      getData("ws-qb-limit", "QuickBooks", "2022-02-10"),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    const stats = await tenantStats(realmId);
    expect(stats.requests).toBe(16);
    // The fake answers 429 past 10 in flight, as Intuit does; none came back.
    expect(stats.rateLimited).toBe(0);
    // More than one fetch's eight overlapped, yet never past the limit.
    expect(stats.maxConcurrent).toBeGreaterThan(8);
    expect(stats.maxConcurrent).toBeLessThanOrEqual(10);
  });

  it("should wait out Intuit's XML 429 and then read the report", async () => {
    const { grant, realmId } = await connectQuickBooks("ws-qb-429");
    await scriptApi(grant.grantId, [{ status: 429, retryAfter: 1 }]);
    expect((await getData("ws-qb-429", "QuickBooks", "2024-02-10")).status).toBe(200);
    const requests = await reportCalls(realmId);
    expect(requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(requests.filter((r) => r.status === 200)).toHaveLength(8);
  });
});
