// The books mean what QuickBooks means (issue 27), against the fake Intuit's synthesized reports for
// the 24 months of one fetch: a parent account's own postings (Header amounts), one account name
// under two parents, and the Balance Sheet's year-to-date Net Income. For each, the reading before
// (Data rows and Summaries only, the first of a repeated title kept, merged so the Balance Sheet's
// Net Income wins) fails, and the reading now passes.
import { describe, expect, it } from "vitest";
import { quickBooksReport } from "./fake-client";
import { monthEndsBetween } from "./helpers";
import { type DataBatch, mergeBatches } from "../src/framework/data";
import {
  quickBooksBatch,
  readQuickBooksReport,
  reportPeriods,
  reportRange,
  reportRequests,
} from "../src/providers/quickbooks/report";

interface Cell {
  value: string;
}
interface Row {
  ColData?: Cell[];
  Header?: { ColData: Cell[] };
  Rows?: { Row: Row[] };
  Summary?: { ColData: Cell[] };
}
interface Report {
  Rows: { Row: Row[] };
}

// A realm of the fake's: its reports need no grant through the control API.
const REALM = "9341453050123456";
const { from, to } = reportRange("2024-01-01");
const months = monthEndsBetween(from, to);

/** Every report of one fetch from the fake, in request order: four periods, each P&L then Balance Sheet. */
async function fetchReports() {
  const requests = reportPeriods(from, to).flatMap(reportRequests);
  return Promise.all(
    requests.map(async ({ report, params }) => ({
      report,
      body: await quickBooksReport<Report>(REALM, report, params),
    })),
  );
}

/**
 * How the adapter read a report before: each Data row's and Summary's first cell a title, the first
 * of a repeated title kept, Headers never read; month columns 1 to 6 (every period is six months).
 */
function oldReading(body: Report, dates: string[]): DataBatch {
  const data: DataBatch["data"] = {};
  const read = (cells: Cell[]) => {
    const title = cells[0]?.value ?? "";
    if (Object.hasOwn(data, title)) return;
    data[title] = Object.fromEntries(dates.map((date, i) => [date, Number(cells[i + 1]?.value || 0)]));
  };
  const walk = (rows: Row[]) => {
    for (const row of rows) {
      if (row.ColData) read(row.ColData);
      walk(row.Rows?.Row ?? []);
      if (row.Summary) read(row.Summary.ColData);
    }
  };
  walk(body.Rows.Row);
  return { dates, data };
}

async function bothReadings() {
  const reports = await fetchReports();
  const periodDates = (i: number) => months.slice(6 * Math.floor(i / 2), 6 * Math.floor(i / 2) + 6);
  return {
    reports,
    old: mergeBatches(reports.map(({ body }, i) => oldReading(body, periodDates(i)))).data,
    now: quickBooksBatch(reports.map(({ report, body }) => readQuickBooksReport(report, body))).data,
  };
}

/** Cents per month of the fetch (a missing line or month is NaN, so it never equals anything). */
const cents = (values: Record<string, number | null> | undefined): number[] =>
  months.map((month) => Math.round((values?.[month] ?? NaN) * 100));
const sum = (...rows: number[][]): number[] => months.map((_, i) => rows.reduce((acc, row) => acc + (row[i] ?? 0), 0));

describe("QuickBooks books against the fake Intuit", () => {
  it("should serve a parent account's own postings, which the old reading dropped", async () => {
    const { reports, old, now } = await bothReadings();
    // The fake writes Automobile's own postings in its section's Header, as Intuit does.
    const expenses = reports[0]!.body.Rows.Row.find((row) => row.Header?.ColData[0]?.value === "Expenses");
    const automobile = expenses?.Rows?.Row.find((row) => row.Header?.ColData[0]?.value === "Automobile");
    expect(automobile?.Header?.ColData.slice(1).some((cell) => cell.value !== "")).toBe(true);

    // Before: no "Automobile", and the lines under it do not add up to "Total Automobile".
    expect(old["Automobile"]).toBeUndefined();
    expect(sum(cents(old["Fuel"]), cents(old["Insurance"]))).not.toEqual(cents(old["Total Automobile"]));
    // Now: the Header's amounts are "Automobile", and with Fuel and Insurance they make the total.
    expect(cents(now["Automobile"]).some((v) => v !== 0)).toBe(true);
    expect(sum(cents(now["Automobile"]), cents(now["Fuel"]), cents(now["Expenses / Automobile / Insurance"]))).toEqual(
      cents(now["Total Automobile"]),
    );
    expect(sum(cents(now["Landscaping Services"]), cents(now["Total Job Materials"]))).toEqual(
      cents(now["Total Landscaping Services"]),
    );
  });

  it("should serve both accounts of one name, where the old reading lost the second", async () => {
    const { old, now } = await bothReadings();
    const automobiles = cents(now["Expenses / Automobile / Insurance"]);
    const expense = cents(now["Expenses / Insurance"]);
    expect(now["Insurance"]).toBeUndefined();
    expect(expense).not.toEqual(automobiles);
    // Before: "Insurance" was Automobile's sub-account, and the expense account's figures were nowhere.
    expect(cents(old["Insurance"])).toEqual(automobiles);
    expect(Object.values(old).some((values) => cents(values).join() === expense.join())).toBe(false);
    // Now: the lines directly under Expenses make Total Expenses, the expense Insurance among them.
    expect(
      sum(
        cents(now["Advertising"]),
        cents(now["Total Automobile"]),
        expense,
        cents(now["Legal & Professional Fees"]),
        cents(now["Rent or Lease"]),
        cents(now["Total Utilities"]),
      ),
    ).toEqual(cents(now["Total Expenses"]));
  });

  it("should serve the month's Net Income as Net Income, where the old reading served the year to date", async () => {
    const { old, now } = await bothReadings();
    const monthly = cents(now["Net Income"]);
    expect(monthly).toEqual(sum(cents(now["Net Operating Income"]), cents(now["Net Other Income"])));
    // The fake's Balance Sheet: equity Net Income = the fiscal year (January) to date of the P&L's.
    let total = 0;
    const yearToDate = months.map((month, i) => (total = (month.endsWith("-01-31") ? 0 : total) + (monthly[i] ?? 0)));
    expect(cents(now["LIABILITIES AND EQUITY / Equity / Net Income"])).toEqual(yearToDate);
    expect(cents(now["TOTAL LIABILITIES AND EQUITY"])).toEqual(cents(now["TOTAL ASSETS"]));
    // Before: "Net Income" was the Balance Sheet's year to date, the month's only in January.
    expect(cents(old["Net Income"])).toEqual(yearToDate);
    expect(cents(old["Net Income"])).not.toEqual(monthly);
  });
});
