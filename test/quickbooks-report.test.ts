// QuickBooks Online's data logic: the 24 months of Zebbra's original framework in report periods of
// at most six months, the two report requests per period, reports read into lines that add up (the
// synthetic fixtures and Intuit's sample company), and one fetch's lines served as one DataBatch.
import { describe, expect, it } from "vitest";
import { monthEndsBetween, thrown } from "./helpers";
import { type DataBatch, ProviderDataError, UnexpectedReportError } from "../src/framework/data";
import {
  MINOR_VERSION,
  type QuickBooksReportName,
  quickBooksBatch,
  readQuickBooksReport,
  reportPeriods,
  reportRange,
  reportRequests,
} from "../src/providers/quickbooks/report";
import bs from "./fixtures/quickbooks/balance-sheet-2024-01-to-2024-06.json";
import pl from "./fixtures/quickbooks/profit-and-loss-2024-01-to-2024-06.json";
import sample from "./fixtures/quickbooks/profit-and-loss-2024-12-sample-company.json";

type Cell = { value?: string | number; id?: string };
const cells = (values: (string | number | undefined)[]): Cell[] =>
  values.map((value) => (value === undefined ? {} : { value }));
const data = (...values: (string | number | undefined)[]) => ({ ColData: cells(values), type: "Data" });
/** A section titled `header[0]` (its other entries: the parent's own amounts) around `rows`. */
const section = (header: string | (string | number)[], rows: unknown[], summary?: (string | number)[]) => ({
  Header: { ColData: cells(typeof header === "string" ? [header] : header) },
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

/** One report served alone, as getData serves a fetch. */
const parse = (body: unknown, name: QuickBooksReportName = "ProfitAndLoss"): DataBatch =>
  quickBooksBatch([readQuickBooksReport(name, body)]);

interface WireRow {
  ColData?: Cell[];
  Header?: { ColData: Cell[] };
  Rows?: { Row: WireRow[] };
  Summary?: { ColData: Cell[] };
}
/**
 * Intuit's sample company's December 2024 (one Total column) as the same report by month: its value
 * cells repeated into a December column, the Total column kept. A one-month report by month has
 * the same rows with the month's column equal to the Total.
 */
function sampleByMonth(): unknown {
  const body = structuredClone(sample) as unknown as {
    Header: { SummarizeColumnsBy: string };
    Columns: { Column: unknown[] };
    Rows: { Row: WireRow[] };
  };
  body.Header.SummarizeColumnsBy = "Month";
  body.Columns.Column.splice(1, 0, monthColumn("2024-12-31"));
  const widen = (cells: Cell[] | undefined) => cells?.splice(1, 0, { ...cells[1] });
  const walk = (rows: WireRow[]): void => {
    for (const row of rows) {
      widen(row.ColData);
      widen(row.Header?.ColData);
      widen(row.Summary?.ColData);
      walk(row.Rows?.Row ?? []);
    }
  };
  walk(body.Rows.Row);
  return body;
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

describe("readQuickBooksReport with the synthetic fixtures", () => {
  const months = monthEndsBetween("2024-01-31", "2024-06-30");

  it("should read the Profit & Loss report: every line, parents' own postings and repeated names qualified", () => {
    const batch = parse(pl);
    expect(batch.dates).toEqual(months);
    expect(Object.keys(batch.data)).toEqual([
      "Design income",
      "Discounts given",
      // A parent's own postings, from its section's Header.
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
      // "Insurance" is both a sub-account of Automobile and an expense account: both are served.
      "Expenses / Automobile / Insurance",
      "Total Automobile",
      "Expenses / Insurance",
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
    expect(cents(batch.data["Automobile"])).toEqual([11300, 9875, 12050, 10400, 8800, 13025]);
    expect(cents(batch.data["Landscaping Services"])).toEqual([45000, 52500, 61000, 38000, 0, 70000]);
    expect(cents(batch.data["Expenses / Automobile / Insurance"])).toEqual([24100, 24100, 24100, 24100, 24100, 24100]);
    expect(cents(batch.data["Expenses / Insurance"])).toEqual([41500, 41500, 41500, 41500, 41500, 41500]);
    expect(batch.data["Insurance"]).toBeUndefined();
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

  it("should have Profit & Loss lines that add up to their totals", () => {
    const d = parse(pl).data;
    expect(cents(d["Gross Profit"])).toEqual(minus(cents(d["Total Income"]), cents(d["Total Cost of Goods Sold"])));
    expect(cents(d["Net Operating Income"])).toEqual(minus(cents(d["Gross Profit"]), cents(d["Total Expenses"])));
    expect(cents(d["Net Income"])).toEqual(sum(cents(d["Net Operating Income"]), cents(d["Net Other Income"])));
    expect(cents(d["Total Automobile"])).toEqual(
      sum(cents(d["Automobile"]), cents(d["Fuel"]), cents(d["Expenses / Automobile / Insurance"])),
    );
    expect(cents(d["Total Landscaping Services"])).toEqual(
      sum(cents(d["Landscaping Services"]), cents(d["Total Job Materials"])),
    );
  });

  it("should read the Balance Sheet at every depth, its year-to-date Net Income qualified", () => {
    const batch = parse(bs, "BalanceSheet");
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
    // The equity Net Income is the fiscal year to date of the Profit & Loss's monthly one: never
    // "Net Income", which is the month's.
    expect(batch.data["Net Income"]).toBeUndefined();
    let yearToDate = 0;
    const monthly = cents(parse(pl).data["Net Income"]);
    expect(cents(batch.data["LIABILITIES AND EQUITY / Equity / Net Income"])).toEqual(
      monthly.map((v) => (yearToDate += v)),
    );
  });
});

describe("readQuickBooksReport with Intuit's sample company", () => {
  // December 2024 of Intuit's sandbox sample company, by month (see sampleByMonth).
  const dec = "2024-12-31";

  it("should refuse the recorded body as it is: one Total column is no month", () => {
    expect(thrown(() => readQuickBooksReport("ProfitAndLoss", sample))).toBeInstanceOf(ProviderDataError);
  });

  it("should serve parents' own postings from their Headers and both accounts of one name", () => {
    const { data } = parse(sampleByMonth());
    const at = (title: string) => data[title]?.[dec];
    // Header "Automobile" 93.97 + "Fuel" 115.71 = "Total Automobile" 209.68.
    expect([at("Automobile"), at("Fuel"), at("Total Automobile")]).toEqual([93.97, 115.71, 209.68]);
    expect(at("Landscaping Services")).toBe(197.5);
    expect(at("Job Expenses")).toBe(46.98);
    expect(at("Legal & Professional Fees")).toBe(75);
    // A Header without an amount is no line.
    expect(Object.keys(data)).not.toContain("Job Materials");
    expect(Object.keys(data).filter((t) => t.endsWith("Job Materials"))).toEqual([
      "Income / Landscaping Services / Total Job Materials",
      "Expenses / Job Expenses / Total Job Materials",
    ]);
    // "Plants and Soil" is an income account and an expense account: both served, qualified.
    expect(Object.keys(data).filter((t) => t.includes("Plants and Soil"))).toEqual([
      "Income / Landscaping Services / Job Materials / Plants and Soil",
      "Expenses / Job Expenses / Job Materials / Plants and Soil",
    ]);
    expect(at("Income / Landscaping Services / Job Materials / Plants and Soil")).toBe(100);
    expect(at("Expenses / Job Expenses / Job Materials / Plants and Soil")).toBe(23.5);
    expect(at("Net Income")).toBe(653.86);
  });

  it("should find every section adding up, which it does not without the Headers' amounts", () => {
    // Reading checks every section with rows, and would throw UnexpectedReportError.
    const { lines } = readQuickBooksReport("ProfitAndLoss", sampleByMonth());
    const at = (title: string, ...path: string[]) =>
      Math.round(
        100 * (lines.find((l) => l.title === title && l.path.join("/") === path.join("/"))?.amounts[0] ?? NaN),
      );
    expect(at("Total Job Expenses", "Expenses")).toBe(
      at("Job Expenses", "Expenses") + at("Total Job Materials", "Expenses", "Job Expenses"),
    );
    expect(at("Total Job Materials", "Expenses", "Job Expenses")).toBe(
      at("Decks and Patios", "Expenses", "Job Expenses", "Job Materials") +
        at("Plants and Soil", "Expenses", "Job Expenses", "Job Materials"),
    );
    expect(at("Total Landscaping Services", "Income")).toBe(19750 + 96750 + 25000);

    // What the old reading served, no Header amounts: Landscaping Services' lines miss 197.50.
    const headless = sampleByMonth() as { Rows: { Row: WireRow[] } };
    const blank = (rows: WireRow[]): void =>
      rows.forEach((row) => {
        row.Header?.ColData.slice(1).forEach((cell) => (cell.value = ""));
        blank(row.Rows?.Row ?? []);
      });
    blank(headless.Rows.Row);
    const error = thrown(() => readQuickBooksReport("ProfitAndLoss", headless));
    expect(error).toBeInstanceOf(UnexpectedReportError);
    expect((error as Error).message).toMatch(/section Rows\.Row\[0\]\.Rows\.Row\[2\] does not add up/);
  });
});

describe("readQuickBooksReport cells, columns and rows", () => {
  const jan = "2024-01-31";
  const feb = "2024-02-29";

  it("should read empty, missing and short cells as 0 and amounts with a sign or separators", () => {
    const batch = parse(
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
    expect(parse(body)).toEqual({
      dates: ["2024-01-31", "2024-02-29", "2024-03-31"],
      data: { Sales: { "2024-01-31": 1, "2024-02-29": 2, "2024-03-31": 3 } },
    });
  });

  it("should key a partial month by its month end", () => {
    const body = report([jan], [data("Sales", "5.00")]) as { Columns: { Column: { MetaData: unknown[] }[] } };
    body.Columns.Column[1]!.MetaData = [{ Name: "EndDate", Value: "2024-01-15" }];
    expect(parse(body).dates).toEqual([jan]);
  });

  it("should recurse into sections at any depth, reading Data rows, Header amounts and Summaries", () => {
    let rows: unknown[] = [data("Leaf", "1.00")];
    for (let depth = 1; depth <= 12; depth++) rows = [section(`Level ${depth}`, rows, [`Total ${depth}`, "1.00"])];
    rows.unshift(section(["Parent", "2.00"], [data("Child", "0.50")], ["Total Parent", "2.50"]));
    rows.push({ Summary: { ColData: cells(["Net Income", "-1.00"]) }, type: "Section", group: "NetIncome" });
    const { lines } = readQuickBooksReport("ProfitAndLoss", report([jan], rows));
    expect(lines.map((l) => l.title)).toEqual([
      "Parent",
      "Child",
      "Total Parent",
      "Leaf",
      ...Array.from({ length: 12 }, (_, i) => `Total ${i + 1}`),
      "Net Income",
    ]);
    // A line's path: the sections around its row; a Header or Summary sits where its section does.
    expect(lines[0]).toEqual({ title: "Parent", path: [], amounts: [2] });
    expect(lines[1]).toEqual({ title: "Child", path: ["Parent"], amounts: [0.5] });
    expect(lines[3]?.path).toEqual(Array.from({ length: 12 }, (_, i) => `Level ${12 - i}`));
    expect(lines[4]?.path).toEqual(lines[3]?.path.slice(0, -1));
    expect(lines.at(-1)).toEqual({ title: "Net Income", path: [], amounts: [-1] });
  });

  it("should serve every line, qualifying a title found in more than one place", () => {
    const batch = parse(
      report(
        [jan],
        [
          section(
            "Income",
            [section(["Jobs", "1.00"], [data("Soil", "2.00")], ["Total Jobs", "3.00"])],
            ["Total Income", "3.00"],
          ),
          section(
            "Expenses",
            [section("Jobs", [data("Soil", "4.00")], ["Total Jobs", "4.00"])],
            ["Total Expenses", "4.00"],
          ),
          data("__proto__", "5"),
        ],
      ),
    );
    expect(batch.data).toEqual({
      Jobs: { [jan]: 1 },
      "Income / Jobs / Soil": { [jan]: 2 },
      "Income / Total Jobs": { [jan]: 3 },
      "Total Income": { [jan]: 3 },
      "Expenses / Jobs / Soil": { [jan]: 4 },
      "Expenses / Total Jobs": { [jan]: 4 },
      "Total Expenses": { [jan]: 4 },
      ["__proto__"]: { [jan]: 5 },
    });
  });

  it("should decide qualification over the whole fetch, so an account keeps one name in every period", () => {
    const income = (amount: string) => section("Income", [data("Soil", amount)], ["Total Income", amount]);
    const expenses = section("Expenses", [data("Soil", "4.00")], ["Total Expenses", "4.00"]);
    // The expense "Soil" has postings in February only: January's income "Soil" is qualified too.
    const batch = quickBooksBatch([
      readQuickBooksReport("ProfitAndLoss", report([jan], [income("1.00")])),
      readQuickBooksReport("ProfitAndLoss", report([feb], [income("2.00"), expenses])),
    ]);
    expect(batch).toEqual({
      dates: [jan, feb],
      data: {
        "Income / Soil": { [jan]: 1, [feb]: 2 },
        "Total Income": { [jan]: 1, [feb]: 2 },
        "Expenses / Soil": { [jan]: null, [feb]: 4 },
        "Total Expenses": { [jan]: null, [feb]: 4 },
      },
    });
  });

  it("should serve the Balance Sheet's Net Income qualified, even without a Profit & Loss in the fetch", () => {
    const equity = section("Equity", [data("Net Income", "7.00")], ["Total Equity", "7.00"]);
    const sheet = report(
      [jan],
      [section("LIABILITIES AND EQUITY", [equity], ["TOTAL LIABILITIES AND EQUITY", "7.00"])],
    );
    expect(Object.keys(parse(sheet, "BalanceSheet").data)).toEqual([
      "LIABILITIES AND EQUITY / Equity / Net Income",
      "Total Equity",
      "TOTAL LIABILITIES AND EQUITY",
    ]);
    const month = report([jan], [{ Summary: { ColData: cells(["Net Income", "3.00"]) }, type: "Section" }]);
    const both = quickBooksBatch([
      readQuickBooksReport("ProfitAndLoss", month),
      readQuickBooksReport("BalanceSheet", sheet),
    ]);
    expect(both.data["Net Income"]).toEqual({ [jan]: 3 });
    expect(both.data["LIABILITIES AND EQUITY / Equity / Net Income"]).toEqual({ [jan]: 7 });
  });

  it("should check only sections with rows, reading empty cells as 0 and nested sections by their Summary", () => {
    const rows = [
      section(
        ["Parent", ""],
        [data("A", "", "1.10"), section("Sub", [data("B", "2.20", "")])],
        ["Total Parent", "2.20", "1.10"],
      ),
      // Computed lines: no Header, no Rows, nothing to add up.
      { Summary: { ColData: cells(["Gross Profit", "999.99", "-5"]) }, type: "Section", group: "GrossProfit" },
      // A Header without rows or summary: no amounts, no line.
      { Header: { ColData: cells(["Empty"]) }, type: "Section" },
    ];
    expect(Object.keys(parse(report([jan, feb], rows)).data)).toEqual(["A", "B", "Total Parent", "Gross Profit"]);
  });

  it("should throw UnexpectedReportError for a section whose lines do not add up to its Summary", () => {
    const bad: [string, unknown[], RegExp][] = [
      [
        "a Summary without the Header's amount",
        [section(["Secret Payroll", "98765.43"], [data("Salaries", "1.00")], ["Total", "1.00"])],
        /section Rows\.Row\[0\] does not add up to its Summary in the month ending 2024-01-31/,
      ],
      [
        "a nested section off by a cent in February",
        [
          section(
            "Expenses",
            [section("Secret Payroll", [data("Salaries", "0.10", "0.20")], ["Total", "0.10", "0.29"])],
            ["Total Expenses", "0.10", "0.29"],
          ),
        ],
        /section Rows\.Row\[0\]\.Rows\.Row\[0\] does not add up to its Summary in the month ending 2024-02-29/,
      ],
    ];
    for (const [what, rows, message] of bad) {
      const error = thrown(() => readQuickBooksReport("ProfitAndLoss", report([jan, feb], rows)));
      expect(error, what).toBeInstanceOf(UnexpectedReportError);
      const { reason, message: text } = error as UnexpectedReportError;
      expect(reason, what).toBe("unexpected_report");
      expect(text, what).toMatch(/^QuickBooks: the ProfitAndLoss report's /);
      expect(text, what).toMatch(message);
      expect(text, what).not.toMatch(/Secret|Payroll|98765|0\.29/);
    }
    // Floats would not add up here (0.1 + 0.2 !== 0.3); cents do.
    const exact = section("S", [data("A", "0.10"), data("B", "0.20")], ["Total S", "0.30"]);
    expect(thrown(() => readQuickBooksReport("ProfitAndLoss", report([jan], [exact])))).toBeUndefined();
  });

  it("should give the month ends and no titles for NoReportData or a report without rows", () => {
    const empty = { dates: [jan, feb], data: {} };
    expect(parse(report([jan, feb], [data("Sales", "1", "2")], { noData: true }))).toEqual(empty);
    expect(parse(report([jan, feb], undefined))).toEqual(empty);
    expect(parse(report([jan, feb], []))).toEqual(empty);
    const noRowsKey = report([jan, feb], undefined) as Record<string, unknown>;
    delete noRowsKey["Rows"];
    expect(parse(noRowsKey)).toEqual(empty);
  });

  it("should throw a ProviderDataError for a line it cannot place, never quoting amounts or account names", () => {
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
        "a Header amount that is not an amount",
        report([jan], [section(["Secret Payroll", "98765.43 USD"], [])]),
        /the Header of Rows\.Row\[0\], column 1 is not an amount/,
      ],
      [
        "a Header amount without a title",
        report([jan], [section(["", "98765.43"], [])]),
        /the Header of Rows\.Row\[0\] has no title/,
      ],
      [
        "a section with rows but no title",
        report([jan], [{ Rows: { Row: [secret()] }, type: "Section" }]),
        /Section Rows\.Row\[0\] has rows but no title in its Header/,
      ],
      [
        "a Data row without a title",
        report([jan], [secret(), data("", "98765.43")]),
        /row Rows\.Row\[1\] has no title/,
      ],
      [
        "a Data row without cells",
        report([jan], [secret(), { type: "Data" }]),
        /Data row Rows\.Row\[1\] has no ColData/,
      ],
      [
        "a Data row with rows",
        report([jan], [{ ...secret(), Rows: { Row: [secret()] } }]),
        /Data row Rows\.Row\[0\] also has a Header, Rows or Summary/,
      ],
      ["a Section with cells", report([jan], [{ ...section("S", []), ColData: cells(["x"]) }]), /also has ColData/],
      [
        "an empty Section",
        report([jan], [{ type: "Section" }]),
        /Section Rows\.Row\[0\] has no Header, Rows or Summary/,
      ],
      ["a row of nothing", report([jan], [secret(), {}]), /row Rows\.Row\[1\] is neither a Data row nor a Section/],
      ["a bad EndDate", report(["2024-02-30"], [secret()]), /column 1 has an EndDate that is not a YYYY-MM-DD date/],
      ["two columns for one month", report([jan, jan], [secret()]), /two columns are for the month ending 2024-01-31/],
      ["rows but no month columns", report([], [secret()]), /no month columns/],
    ];
    for (const [what, body, message] of bad) {
      const error = thrown(() => readQuickBooksReport("ProfitAndLoss", body));
      expect(error, what).toBeInstanceOf(ProviderDataError);
      const { reason, message: text } = error as ProviderDataError;
      expect(reason, what).toBe("provider_data_invalid");
      expect(text, what).toMatch(/^QuickBooks: unexpected report shape: /);
      expect(text, what).toMatch(message);
      expect(text, what).not.toMatch(/Secret|Payroll|98765/);
    }
  });

  it("should refuse two lines that would be served under one name", () => {
    const twice = report([jan], [data("Secret Payroll", "1"), data("Secret Payroll", "2")]);
    const topLevelNetIncome = report([jan], [data("Net Income", "1")]);
    const month = report([jan], [{ Summary: { ColData: cells(["Net Income", "3.00"]) }, type: "Section" }]);
    for (const reports of [
      [readQuickBooksReport("ProfitAndLoss", twice)],
      [readQuickBooksReport("ProfitAndLoss", month), readQuickBooksReport("BalanceSheet", topLevelNetIncome)],
    ]) {
      const error = thrown(() => quickBooksBatch(reports));
      expect(error).toBeInstanceOf(ProviderDataError);
      expect((error as ProviderDataError).message).toMatch(/would be served under the name of another line/);
      expect((error as ProviderDataError).message).not.toMatch(/Secret|Payroll/);
    }
  });
});

describe("quickBooksBatch over the window", () => {
  it("should merge every period's Profit & Loss and Balance Sheet, Net Income the month's", () => {
    const { from, to } = reportRange("2024-01-01");
    const periods = reportPeriods(from, to);
    const reports = periods.flatMap((period, i) =>
      reportRequests(period).map(({ report: name }) => {
        if (i === 0) return readQuickBooksReport(name, name === "ProfitAndLoss" ? pl : bs);
        const ends = monthEndsBetween(period.start, period.end);
        const row = (title: string, amount: string) => data(title, ...ends.map(() => amount));
        const rows =
          name === "ProfitAndLoss"
            ? [row("Total Income", "100.00"), row("Net Income", "10.00")]
            : [row("TOTAL ASSETS", "5000.00")];
        return readQuickBooksReport(name, report(ends, rows));
      }),
    );
    const merged = quickBooksBatch(reports);
    expect(merged.dates).toEqual(monthEndsBetween(from, to));
    expect(merged.dates).toHaveLength(24);
    // 31 lines in the Profit & Loss fixture, 30 in the Balance Sheet's: none shares a name.
    expect(Object.keys(merged.data)).toHaveLength(61);
    expect(merged.data["Total Income"]).toMatchObject({ "2024-06-30": 5190.5, "2024-07-31": 100, "2025-12-31": 100 });
    expect(merged.data["TOTAL ASSETS"]).toMatchObject({ "2024-01-31": 47789.19, "2025-12-31": 5000 });
    expect(merged.data["Checking"]).toMatchObject({ "2024-06-30": 30062.97, "2024-07-31": null });
    expect(merged.data["Design income"]).toMatchObject({ "2024-03-31": 0, "2025-01-31": null });
    // "Net Income" is the month's in every month; the Balance Sheet's year to date is its own line.
    expect(merged.data["Net Income"]).toMatchObject({ "2024-02-29": 631.78, "2024-06-30": 2371.12, "2024-07-31": 10 });
    expect(merged.data["LIABILITIES AND EQUITY / Equity / Net Income"]).toMatchObject({
      "2024-02-29": 622.8,
      "2024-06-30": 5974.98,
      "2024-07-31": null,
    });
    for (const values of Object.values(merged.data)) expect(Object.keys(values)).toEqual(merged.dates);
  });
});
