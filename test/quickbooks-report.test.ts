// QuickBooks Online's data logic: the seed's 24 months in report periods of at most six months,
// the two report requests per period, the fixtures (recorded shape, synthetic values) parsed into
// DataBatches, and batches merged in request order.
import { describe, expect, it } from "vitest";
import { monthEndsBetween, thrown } from "./helpers";
import { mergeBatches, ProviderDataError } from "../src/framework/data";
import {
  MINOR_VERSION,
  parseQuickBooksReport,
  reportPeriods,
  reportRange,
  reportRequests,
} from "../src/providers/quickbooks/report";
import bs from "./fixtures/quickbooks/balance-sheet-2024-01-to-2024-06.json";
import pl from "./fixtures/quickbooks/profit-and-loss-2024-01-to-2024-06.json";

type Cell = { value?: string | number; id?: string };
const cells = (values: (string | number | undefined)[]): Cell[] =>
  values.map((value) => (value === undefined ? {} : { value }));
const data = (...values: (string | number | undefined)[]) => ({ ColData: cells(values), type: "Data" });
const section = (title: string, rows: unknown[], summary?: (string | number)[]) => ({
  Header: { ColData: cells([title]) },
  Rows: { Row: rows },
  ...(summary ? { Summary: { ColData: cells(summary) } } : {}),
  type: "Section",
});
const monthColumn = (end: string) => ({
  ColTitle: "",
  ColType: "Money",
  MetaData: [
    { Name: "StartDate", Value: `${end.slice(0, 8)}01` },
    { Name: "EndDate", Value: end },
  ],
});

/** A minimal report body: the account column, one column per month end, a Total column, then `rows`. */
function report(ends: string[], rows: unknown[] | undefined, options: { noData?: boolean } = {}): unknown {
  return {
    Header: {
      ReportName: "ProfitAndLoss",
      SummarizeColumnsBy: "Month",
      Option: [{ Name: "NoReportData", Value: options.noData ? "true" : "false" }],
    },
    Columns: {
      Column: [
        { ColTitle: "", ColType: "Account", MetaData: [{ Name: "ColKey", Value: "account" }] },
        ...ends.map(monthColumn),
        { ColTitle: "Total", ColType: "Money", MetaData: [{ Name: "ColKey", Value: "total" }] },
      ],
    },
    Rows: rows === undefined ? {} : { Row: rows },
  };
}

/** Cents, so sums of parsed amounts compare exactly. */
const cents = (values: Record<string, number | null> | undefined): number[] =>
  Object.values(values ?? {}).map((v) => Math.round((v ?? NaN) * 100));
const sum = (...rows: number[][]): number[] => rows.reduce((acc, row) => acc.map((v, i) => v + (row[i] ?? 0)));
const minus = (a: number[], b: number[]): number[] => a.map((v, i) => v - (b[i] ?? 0));

describe("report periods and requests", () => {
  it("should fetch 24 months from the cache date's month", () => {
    expect(reportRange("2024-01-01")).toEqual({ from: "2024-01-01", to: "2025-12-31" });
    expect(reportRange("2023-03-01")).toEqual({ from: "2023-03-01", to: "2025-02-28" });
    expect(reportRange(new Date(Date.UTC(2022, 1, 1)))).toEqual({ from: "2022-02-01", to: "2024-01-31" });
    expect(reportRange("2022-02-10")).toEqual({ from: "2022-02-01", to: "2024-01-31" });
  });

  it("should cover 24 months in four contiguous periods of six whole months", () => {
    const { from, to } = reportRange("2024-01-01");
    expect(reportPeriods(from, to)).toEqual([
      { start: "2024-01-01", end: "2024-06-30" },
      { start: "2024-07-01", end: "2024-12-31" },
      { start: "2025-01-01", end: "2025-06-30" },
      { start: "2025-07-01", end: "2025-12-31" },
    ]);
    for (const cacheDate of ["2023-03-01", "2023-09-01", "2020-12-01"]) {
      const range = reportRange(cacheDate);
      const periods = reportPeriods(range.from, range.to);
      expect(periods, cacheDate).toHaveLength(4);
      expect(periods[0]?.start).toBe(range.from);
      expect(periods.at(-1)?.end).toBe(range.to);
      const months = periods.flatMap(({ start, end }) => monthEndsBetween(start, end));
      expect(months).toEqual(monthEndsBetween(range.from, range.to));
      for (const { start, end } of periods) {
        expect(start.endsWith("-01")).toBe(true);
        expect(monthEndsBetween(start, end)).toHaveLength(6);
      }
    }
    expect(reportPeriods("2023-03-01", "2025-02-28")[1]).toEqual({ start: "2023-09-01", end: "2024-02-29" });
  });

  it("should cut the last period at the end of the range and give none for an empty range", () => {
    expect(reportPeriods("2024-01-01", "2024-08-15")).toEqual([
      { start: "2024-01-01", end: "2024-06-30" },
      { start: "2024-07-01", end: "2024-08-31" },
    ]);
    expect(reportPeriods("2024-05-01", "2024-05-01")).toEqual([{ start: "2024-05-01", end: "2024-05-31" }]);
    expect(reportPeriods("2024-05-01", "2024-04-30")).toEqual([]);
  });

  it("should request Profit & Loss, then the Balance Sheet, by month on the accrual basis", () => {
    const params = {
      start_date: "2025-01-01",
      end_date: "2025-06-30",
      summarize_column_by: "Month",
      accounting_method: "Accrual",
      minorversion: "75",
    };
    expect(MINOR_VERSION).toBe("75");
    expect(reportRequests({ start: "2025-01-01", end: "2025-06-30" })).toEqual([
      { report: "ProfitAndLoss", params },
      { report: "BalanceSheet", params },
    ]);
  });
});

describe("parseQuickBooksReport with the fixtures", () => {
  const months = monthEndsBetween("2024-01-31", "2024-06-30");

  it("should read the Profit & Loss report: six month ends, every account and summary, in order", () => {
    const batch = parseQuickBooksReport(pl);
    expect(batch.dates).toEqual(months);
    expect(Object.keys(batch.data)).toEqual([
      "Design income",
      "Discounts given",
      "Landscaping Services",
      "Fountains and Garden Lighting",
      "Plants and Soil",
      "Total Job Materials",
      "Total Landscaping Services",
      "Sales of Product Income",
      "Total Income",
      "Cost of Goods Sold",
      "Total Cost of Goods Sold",
      "Gross Profit",
      "Advertising",
      "Automobile",
      "Fuel",
      "Insurance",
      "Total Automobile",
      "Legal & Professional Fees",
      "Rent or Lease",
      "Gas and Electric",
      "Telephone",
      "Total Utilities",
      "Total Expenses",
      "Net Operating Income",
      "Interest Earned",
      "Total Other Income",
      "Penalties & Settlements",
      "Total Other Expenses",
      "Net Other Income",
      "Net Income",
    ]);
    // Empty cells are 0; amounts may be negative.
    expect(batch.data["Design income"]).toEqual({
      "2024-01-31": 1200,
      "2024-02-29": 950,
      "2024-03-31": 0,
      "2024-04-30": 2250,
      "2024-05-31": 1800,
      "2024-06-30": 1375.5,
    });
    expect(cents(batch.data["Discounts given"])).toEqual([-12000, 0, -4525, 0, -8000, 0]);
    // "Insurance" is first the Automobile sub-account (241.00), then an expense account (415.00).
    expect(cents(batch.data["Insurance"])).toEqual([24100, 24100, 24100, 24100, 24100, 24100]);
    expect(cents(batch.data["Total Income"])).toEqual([267025, 367050, 267975, 429000, 417575, 519050]);
    expect(cents(batch.data["Total Other Expenses"])).toEqual([0, 0, 15000, 0, 0, 0]);
    expect(batch.data["Net Income"]).toEqual({
      "2024-01-31": -8.98,
      "2024-02-29": 631.78,
      "2024-03-31": -6.69,
      "2024-04-30": 1640.35,
      "2024-05-31": 1347.4,
      "2024-06-30": 2371.12,
    });
    for (const values of Object.values(batch.data)) expect(Object.keys(values)).toEqual(months);
  });

  it("should have Profit & Loss totals that add up", () => {
    const d = parseQuickBooksReport(pl).data;
    expect(cents(d["Gross Profit"])).toEqual(minus(cents(d["Total Income"]), cents(d["Total Cost of Goods Sold"])));
    expect(cents(d["Net Operating Income"])).toEqual(minus(cents(d["Gross Profit"]), cents(d["Total Expenses"])));
    expect(cents(d["Net Income"])).toEqual(sum(cents(d["Net Operating Income"]), cents(d["Net Other Income"])));
    expect(cents(d["Total Automobile"])).toEqual(sum(cents(d["Automobile"]), cents(d["Fuel"]), cents(d["Insurance"])));
  });

  it("should read the Balance Sheet's sections at every depth, with month-end balances that balance", () => {
    const batch = parseQuickBooksReport(bs);
    expect(batch.dates).toEqual(months);
    expect(Object.keys(batch.data)).toHaveLength(30);
    expect(Object.keys(batch.data).slice(0, 3)).toEqual(["Checking", "Savings", "Total Bank Accounts"]);
    expect(batch.data["TOTAL ASSETS"]).toEqual({
      "2024-01-31": 47789.19,
      "2024-02-29": 48492.87,
      "2024-03-31": 47789.56,
      "2024-04-30": 49842.47,
      "2024-05-31": 50751.9,
      "2024-06-30": 52984.9,
    });
    expect(batch.data["TOTAL LIABILITIES AND EQUITY"]).toEqual(batch.data["TOTAL ASSETS"]);
    expect(cents(batch.data["Savings"])).toEqual([0, 250000, 300000, 300000, 350000, 400000]);
    expect(cents(batch.data["Depreciation"])).toEqual([-108333, -130000, -151667, -173333, -195000, -216667]);
    // Four levels down: LIABILITIES AND EQUITY › Liabilities › Current Liabilities › Accounts Payable.
    expect(cents(batch.data["Accounts Payable (A/P)"])).toEqual([160240, 171390, 148800, 190210, 176450, 182005]);
    const d = batch.data;
    expect(cents(d["Total Current Assets"])).toEqual(
      sum(
        cents(d["Total Bank Accounts"]),
        cents(d["Total Accounts Receivable"]),
        cents(d["Total Other Current Assets"]),
      ),
    );
    // The equity "Net Income" Data row is the year to date of the Profit & Loss's monthly one.
    let yearToDate = 0;
    const monthly = cents(parseQuickBooksReport(pl).data["Net Income"]);
    expect(cents(d["Net Income"])).toEqual(monthly.map((v) => (yearToDate += v)));
  });
});

describe("parseQuickBooksReport cells, columns and rows", () => {
  const jan = "2024-01-31";
  const feb = "2024-02-29";

  it("should read empty, missing and short cells as 0 and amounts with a sign or separators", () => {
    const batch = parseQuickBooksReport(
      report(
        [jan, feb],
        [data("Sales", "", "-1,234.50"), data("Rent", undefined, " 12.5 "), data("Fees", "3.00"), data("Tips")],
      ),
    );
    expect(batch.data).toEqual({
      Sales: { [jan]: 0, [feb]: -1234.5 },
      Rent: { [jan]: 0, [feb]: 12.5 },
      Fees: { [jan]: 3, [feb]: 0 },
      Tips: { [jan]: 0, [feb]: 0 },
    });
  });

  it("should date columns by their title without MetaData, skip the Total column and sort the months", () => {
    const body = {
      Header: {},
      Columns: {
        Column: [
          { ColTitle: "", ColType: "Account" },
          { ColTitle: "Mar. 2024", ColType: "Money" },
          { ColTitle: "Feb 2024", ColType: "Money" },
          { ColTitle: "January 2024", ColType: "Money" },
          { ColTitle: "Total", ColType: "Money" },
        ],
      },
      Rows: { Row: [data("Sales", "3", "2", "1", "6")] },
    };
    expect(parseQuickBooksReport(body)).toEqual({
      dates: ["2024-01-31", "2024-02-29", "2024-03-31"],
      data: { Sales: { "2024-01-31": 1, "2024-02-29": 2, "2024-03-31": 3 } },
    });
  });

  it("should key a partial month by its month end", () => {
    const body = report([jan], [data("Sales", "5.00")]) as { Columns: { Column: { MetaData: unknown[] }[] } };
    body.Columns.Column[1]!.MetaData = [{ Name: "EndDate", Value: "2024-01-15" }];
    expect(parseQuickBooksReport(body).dates).toEqual([jan]);
  });

  it("should recurse into sections at any depth, reading Data rows and Summaries but not Headers", () => {
    let rows: unknown[] = [data("Leaf", "1.00")];
    for (let depth = 1; depth <= 12; depth++) rows = [section(`Level ${depth}`, rows, [`Total ${depth}`, "1.00"])];
    rows.push({ Summary: { ColData: cells(["Net Income", "-1.00"]) }, type: "Section", group: "NetIncome" });
    const batch = parseQuickBooksReport(report([jan], rows));
    expect(Object.keys(batch.data)).toEqual([
      "Leaf",
      ...Array.from({ length: 12 }, (_, i) => `Total ${i + 1}`),
      "Net Income",
    ]);
    expect(batch.data["Net Income"]).toEqual({ [jan]: -1 });
  });

  it("should keep the first of repeated titles and keep odd titles as plain keys", () => {
    const batch = parseQuickBooksReport(
      report(
        [jan],
        [
          section("A", [data("Insurance", "1.00")], ["Total", "1.00"]),
          data("Insurance", "2.00"),
          data("__proto__", "5"),
        ],
      ),
    );
    expect(batch.data["Insurance"]).toEqual({ [jan]: 1 });
    expect(Object.hasOwn(batch.data, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(batch.data)).toBe(Object.prototype);
  });

  it("should give the month ends and no titles for NoReportData or a report without rows", () => {
    const empty = { dates: [jan, feb], data: {} };
    expect(parseQuickBooksReport(report([jan, feb], [data("Sales", "1", "2")], { noData: true }))).toEqual(empty);
    expect(parseQuickBooksReport(report([jan, feb], undefined))).toEqual(empty);
    expect(parseQuickBooksReport(report([jan, feb], []))).toEqual(empty);
    const noRowsKey = report([jan, feb], undefined) as Record<string, unknown>;
    delete noRowsKey["Rows"];
    expect(parseQuickBooksReport(noRowsKey)).toEqual(empty);
  });

  it("should throw a ProviderDataError naming the problem, never quoting amounts or account names", () => {
    const secret = (value: string | number = "98765.43") => data("Secret Payroll", value);
    const bad: [string, unknown, RegExp][] = [
      ["not an object", null, /Invalid input/],
      ["no Header", { Columns: { Column: [] }, Rows: { Row: [secret()] } }, /at Header/],
      ["no Columns", { Header: {}, Rows: { Row: [secret()] } }, /at Columns/],
      ["Rows.Row not an array", { ...(report([jan], []) as object), Rows: { Row: secret() } }, /at Rows\.Row/],
      ["an unknown row type", report([jan], [{ ...secret(), type: "Total" }]), /at Rows\.Row\[0\]\.type/],
      ["a number cell", report([jan], [secret(98765.43)]), /at Rows\.Row\[0\]\.ColData\[1\]\.value/],
      [
        "a non-numeric cell",
        report([jan], [section("S", [secret("98765.43 USD")])]),
        /Rows\.Row\[0\]\.Rows\.Row\[0\], column 1 is not an amount/,
      ],
      [
        "a Summary that is not an amount",
        report([jan], [section("S", [], ["Secret Payroll", "n/a"])]),
        /Summary of Rows\.Row\[0\]/,
      ],
      [
        "a Data row without a title",
        report([jan], [secret(), data("", "98765.43")]),
        /row Rows\.Row\[1\] has no title/,
      ],
      ["a Data row without cells", report([jan], [secret(), { type: "Data" }]), /has no ColData/],
      ["a bad EndDate", report(["2024-02-30"], [secret()]), /column 1 has an EndDate that is not a YYYY-MM-DD date/],
      ["two columns for one month", report([jan, jan], [secret()]), /two columns are for the month ending 2024-01-31/],
      ["rows but no month columns", report([], [secret()]), /no month columns/],
    ];
    for (const [what, body, message] of bad) {
      const error = thrown(() => parseQuickBooksReport(body));
      expect(error, what).toBeInstanceOf(ProviderDataError);
      const { reason, message: text } = error as ProviderDataError;
      expect(reason, what).toBe("provider_data_invalid");
      expect(text, what).toMatch(/^QuickBooks: unexpected report shape: /);
      expect(text, what).toMatch(message);
      expect(text, what).not.toMatch(/Secret|Payroll|98765/);
    }
  });
});

describe("mergeBatches over the window", () => {
  it("should merge every period's Profit & Loss and Balance Sheet in request order", () => {
    const { from, to } = reportRange("2024-01-01");
    const periods = reportPeriods(from, to);
    const bodies = periods.flatMap((period, i) => {
      if (i === 0) return [pl, bs];
      const ends = monthEndsBetween(period.start, period.end);
      return reportRequests(period).map(({ report: name }) =>
        name === "ProfitAndLoss"
          ? report(ends, [
              data("Total Income", ...ends.map(() => "100.00")),
              data("Net Income", ...ends.map(() => "10.00")),
            ])
          : report(ends, [data("TOTAL ASSETS", ...ends.map(() => "5000.00"))]),
      );
    });
    const merged = mergeBatches(bodies.map(parseQuickBooksReport));
    expect(merged.dates).toEqual(monthEndsBetween(from, to));
    expect(merged.dates).toHaveLength(24);
    // 30 titles in each fixture; "Net Income" is in both.
    expect(Object.keys(merged.data)).toHaveLength(59);
    expect(merged.data["Total Income"]).toMatchObject({ "2024-06-30": 5190.5, "2024-07-31": 100, "2025-12-31": 100 });
    expect(merged.data["TOTAL ASSETS"]).toMatchObject({ "2024-01-31": 47789.19, "2025-12-31": 5000 });
    expect(merged.data["Checking"]).toMatchObject({ "2024-06-30": 30062.97, "2024-07-31": null });
    expect(merged.data["Design income"]).toMatchObject({ "2024-03-31": 0, "2025-01-31": null });
    // The Balance Sheet comes later, so its year-to-date equity "Net Income" overwrites the Profit &
    // Loss's monthly one where both have the month (Xero's rule; src/providers/quickbooks/index.ts).
    expect(merged.data["Net Income"]).toMatchObject({ "2024-02-29": 622.8, "2024-06-30": 5974.98, "2024-07-31": 10 });
    for (const values of Object.values(merged.data)) expect(Object.keys(values)).toEqual(merged.dates);
  });
});
