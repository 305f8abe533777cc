// Xero's data logic: the 12-month batch rule's periods and report requests, recorded reports parsed
// into DataBatches and checked against what was asked, and batches merged in request order.
import { describe, expect, it } from "vitest";
import { monthEndsBetween, thrown } from "./helpers";
import type { DataBatch } from "../src/framework/data";
import { mergeBatches, ProviderDataError, UnexpectedReportError } from "../src/framework/data";
import { batchPeriods, parseReport, readReport, reportRequests, xeroRange } from "../src/providers/xero/report";
import bs from "./fixtures/xero/balance-sheet-2021-06-to-2022-05.json";
import pl from "./fixtures/xero/profit-and-loss-2021-05-to-2022-03.json";

/** A minimal report body: a header with the given dates, then one section with the given rows. */
function report(dates: string[], rows: [string, ...string[]][], rowType = "Row"): unknown {
  return {
    Reports: [
      {
        Rows: [
          { RowType: "Header", Cells: [{ Value: "" }, ...dates.map((Value) => ({ Value }))] },
          {
            RowType: "Section",
            Title: "Test",
            Rows: rows.map((cells) => ({ RowType: rowType, Cells: cells.map((Value) => ({ Value })) })),
          },
        ],
      },
    ],
  };
}

describe("batch periods", () => {
  it("should split ranges exactly as Zebbra's original framework did", () => {
    const table: [string, string, [string, string][]][] = [
      [
        "2020-01-01",
        "2022-07-08",
        [
          ["2020-01-31", "2020-12-31"],
          ["2021-01-31", "2021-12-31"],
          ["2022-01-31", "2022-07-31"],
        ],
      ],
      ["2022-03-01", "2022-07-08", [["2022-03-31", "2022-07-31"]]],
      ["2022-02-01", "2022-07-08", [["2022-01-31", "2022-07-31"]]],
      ["2022-03-01", "2022-06-08", [["2022-03-31", "2022-06-30"]]],
      ["2022-03-05", "2022-03-10", [["2022-03-31", "2022-03-31"]]],
      ["2022-03-05", "2022-03-05", [["2022-03-31", "2022-03-31"]]],
    ];
    for (const [from, to, periods] of table) {
      expect(batchPeriods(from, to), `${from} → ${to}`).toEqual(periods.map(([start, end]) => ({ start, end })));
    }
  });

  it("should fetch from the from date to the end of the month 23 months later", () => {
    expect(xeroRange("2020-01-01")).toEqual({ from: "2020-01-01", to: "2021-12-31" });
    expect(xeroRange("2022-03-05")).toEqual({ from: "2022-03-05", to: "2024-02-29" });
    expect(xeroRange(new Date(Date.UTC(2022, 1, 10)))).toEqual({ from: "2022-02-10", to: "2024-01-31" });
  });

  it("should cover the whole 24-month range in periods of at most 12 months", () => {
    const { from, to } = xeroRange("2022-02-10");
    const periods = batchPeriods(from, to);
    expect(periods).toEqual([
      { start: "2022-01-31", end: "2022-12-31" },
      { start: "2023-01-31", end: "2023-12-31" },
      { start: "2024-01-31", end: "2024-01-31" },
    ]);
    const march = xeroRange("2022-03-05");
    expect(batchPeriods(march.from, march.to)).toEqual([
      { start: "2022-03-31", end: "2023-02-28" },
      { start: "2023-03-31", end: "2024-02-29" },
    ]);
    for (const { start, end } of periods) expect(monthEndsBetween(start, end).length).toBeLessThanOrEqual(12);
  });

  it("should return no periods when the range ends in an earlier month", () => {
    expect(batchPeriods("2022-03-05", "2022-02-28")).toEqual([]);
  });

  it("should request one-month Profit & Loss columns over the period, then the Balance Sheet at its end", () => {
    expect(reportRequests({ start: "2022-01-31", end: "2022-07-31" })).toEqual([
      {
        report: "ProfitAndLoss",
        params: {
          fromDate: "2022-07-01",
          toDate: "2022-07-31",
          periods: "6",
          timeframe: "MONTH",
          standardLayout: "true",
        },
      },
      {
        report: "BalanceSheet",
        params: { date: "2022-07-31", periods: "11", timeframe: "MONTH", standardLayout: "true" },
      },
    ]);
    expect(reportRequests({ start: "2020-03-31", end: "2021-02-28" })[0].params).toMatchObject({
      fromDate: "2021-02-01",
      toDate: "2021-02-28",
      periods: "11",
    });
    // One month: no comparison columns (Xero takes periods 1 to 12).
    expect(reportRequests({ start: "2022-03-31", end: "2022-03-31" })[0].params).toEqual({
      fromDate: "2022-03-01",
      toDate: "2022-03-31",
      standardLayout: "true",
    });
  });
});

describe("readReport: the answer means what was asked", () => {
  const request = reportRequests({ start: "2021-04-30", end: "2022-03-31" })[0];

  it("should refuse the recorded Profit & Loss for a one-month request: its span is 17 May 2021 to 31 March 2022", () => {
    const error = thrown(() => readReport(request, pl));
    expect(error).toBeInstanceOf(UnexpectedReportError);
    expect((error as UnexpectedReportError).reason).toBe("unexpected_report");
    expect((error as Error).message).toContain("span 2021-05-17 to 2022-03-31, not one month");
  });

  it("should accept the same columns when the report states the requested month as its span", () => {
    const monthly = structuredClone(pl);
    monthly.Reports[0]!.ReportTitles[2] = "1 March 2022 to 31 March 2022";
    expect(readReport(request, monthly)).toEqual(parseReport(pl));
  });

  it("should refuse columns other than the month ends asked for, and a report without its span", () => {
    const short = reportRequests({ start: "2021-10-31", end: "2022-03-31" })[0];
    const monthly = structuredClone(pl);
    monthly.Reports[0]!.ReportTitles[2] = "1 March 2022 to 31 March 2022";
    expect((thrown(() => readReport(short, monthly)) as Error).message).toMatch(
      /^Xero: the ProfitAndLoss report has columns 2021-04-30, .*, not the month ends 2021-10-31, /,
    );
    const untitled = structuredClone(pl);
    untitled.Reports[0]!.ReportTitles = ["Profit & Loss"];
    expect((thrown(() => readReport(request, untitled)) as Error).message).toContain("does not state the span");
    const balance = reportRequests({ start: "2021-06-30", end: "2022-05-31" })[1];
    expect(readReport(balance, bs).dates).toEqual(monthEndsBetween("2021-06-30", "2022-05-31"));
    const earlier = reportRequests({ start: "2021-05-31", end: "2022-04-30" })[1];
    expect(thrown(() => readReport(earlier, bs))).toBeInstanceOf(UnexpectedReportError);
  });
});

describe("parseReport with the recorded reports", () => {
  it("should read the Profit & Loss report: 12 ascending month ends and every line", () => {
    const batch = parseReport(pl);
    expect(batch.dates).toEqual(monthEndsBetween("2021-04-30", "2022-03-31"));
    expect(batch.dates).toHaveLength(12);
    expect(Object.keys(batch.data)).toEqual([
      "Other Revenue",
      "Sales",
      "Total Income",
      "Gross Profit",
      "Audit & Accountancy fees",
      "Bank Fees",
      "Consulting",
      "Entertainment-100% business",
      "General Expenses",
      "Light, Power, Heating",
      "Printing & Stationery",
      "Rent",
      "Telephone & Internet",
      "Total Operating Expenses",
      "Net Profit",
    ]);
    expect(batch.data["Total Income"]).toMatchObject({
      "2022-03-31": 9262.53,
      "2022-01-31": 9083.36,
      "2021-04-30": 3500,
    });
    expect(batch.data["Sales"]).toMatchObject({ "2022-02-28": 5583.36, "2021-04-30": 0 });
    expect(batch.data["Light, Power, Heating"]).toMatchObject({ "2021-05-31": 0, "2021-06-30": 90.95 });
    expect(batch.data["Total Operating Expenses"]).toMatchObject({ "2021-12-31": 12741.86 });
    expect(batch.data["Net Profit"]).toEqual({
      "2021-04-30": -2556,
      "2021-05-31": -8195.33,
      "2021-06-30": -7869.61,
      "2021-07-31": -7545.32,
      "2021-08-31": -6799.6,
      "2021-09-30": -6467.69,
      "2021-10-31": -6137.69,
      "2021-11-30": -4979.36,
      "2021-12-31": -4658.5,
      "2022-01-31": 2296.79,
      "2022-02-28": -1304.64,
      "2022-03-31": 7147.93,
    });
  });

  it("should read the Balance Sheet report with four-digit header years", () => {
    const batch = parseReport(bs);
    expect(batch.dates).toEqual(monthEndsBetween("2021-06-30", "2022-05-31"));
    expect(batch.dates).toHaveLength(12);
    expect(Object.keys(batch.data)).toHaveLength(18);
    expect(batch.data["Net Assets"]).toMatchObject({
      "2022-05-31": 2062.9,
      "2021-12-31": -4658.5,
      "2021-06-30": -7869.61,
    });
    expect(batch.data["Total Assets"]).toMatchObject({ "2022-05-31": 12156.91, "2022-02-28": -377.02 });
    expect(batch.data["VAT"]).toMatchObject({ "2022-04-30": -1067.2 });
    expect(batch.data["Business Bank Account"]).toMatchObject({ "2021-09-30": -4076.92 });
    expect(batch.data["Historical Adjustment"]).toMatchObject({ "2021-06-30": 4130.98, "2022-05-31": 4130.98 });
    for (const values of Object.values(batch.data)) expect(Object.keys(values)).toEqual(batch.dates);
  });
});

describe("parseReport cell values and shape", () => {
  it("should turn cells into numbers: empty and non-numeric to null, thousands separators stripped", () => {
    const batch = parseReport(
      report(
        ["31 Jan 22", "28 Feb 22", "31 Mar 22", "30 Apr 22", "31 May 22"],
        [["Sales", "1,234.50", "", "n/a", "-12.50", "1e3"]],
      ),
    );
    expect(batch.data).toEqual({
      Sales: { "2022-01-31": 1234.5, "2022-02-28": null, "2022-03-31": null, "2022-04-30": -12.5, "2022-05-31": null },
    });
  });

  it("should give null for a row with fewer cells than the header has dates", () => {
    expect(parseReport(report(["31 Mar 22", "28 Feb 22"], [["Rent", "10.00"]])).data).toEqual({
      Rent: { "2022-02-28": null, "2022-03-31": 10 },
    });
  });

  it("should keep the first of repeated titles and read SummaryRows", () => {
    const batch = parseReport(
      report(
        ["31 Mar 22"],
        [
          ["Total", "1.00"],
          ["Total", "2.00"],
        ],
        "SummaryRow",
      ),
    );
    expect(batch.data).toEqual({ Total: { "2022-03-31": 1 } });
  });

  it("should ignore rows that are neither Row nor SummaryRow, and keep odd titles as plain keys", () => {
    const batch = parseReport(report(["31 Mar 22"], [["__proto__", "5.00"]], "Row"));
    expect(Object.hasOwn(batch.data, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(batch.data)).toBe(Object.prototype);
    expect(parseReport(report(["31 Mar 22"], [["Note", "x"]], "Footnote")).data).toEqual({});
  });

  it("should throw a ProviderDataError naming the problem for an unexpected shape", () => {
    const bad: [unknown, RegExp][] = [
      [null, /unexpected report shape/],
      [{ Reports: [] }, /Reports/],
      [{ Reports: [{ Rows: "nope" }] }, /Rows/],
      [{ Reports: [{ Rows: [{ RowType: "Section", Rows: [] }] }] }, /Header/],
      [report(["31 Foo 22"], []), /header cell 1 is not a date/],
      [report(["31 Mar 22", "31 Mar 2022"], []), /repeats the date 2022-03-31/],
      [
        {
          Reports: [
            {
              Rows: [
                { RowType: "Header", Cells: [] },
                { RowType: "Section", Rows: [{ RowType: "Row", Cells: [] }] },
              ],
            },
          ],
        },
        /no title cell/,
      ],
    ];
    for (const [body, message] of bad) {
      const error = thrown(() => parseReport(body));
      expect(error).toBeInstanceOf(ProviderDataError);
      expect((error as ProviderDataError).reason).toBe("provider_data_invalid");
      expect((error as ProviderDataError).message).toMatch(/^Xero: /);
      expect((error as ProviderDataError).message).toMatch(message);
    }
  });
});

describe("mergeBatches", () => {
  it("should merge the two recorded reports over the union of their dates, null where a title has no value", () => {
    const merged = mergeBatches([parseReport(pl), parseReport(bs)]);
    expect(merged.dates).toEqual(monthEndsBetween("2021-04-30", "2022-05-31"));
    expect(Object.keys(merged.data)).toHaveLength(15 + 18);
    expect(merged.data["Net Profit"]).toMatchObject({ "2022-03-31": 7147.93, "2022-04-30": null, "2022-05-31": null });
    expect(merged.data["Net Assets"]).toMatchObject({ "2021-04-30": null, "2021-05-31": null, "2021-06-30": -7869.61 });
    for (const values of Object.values(merged.data)) expect(Object.keys(values)).toEqual(merged.dates);
  });

  it("should let the later batch win where dates overlap", () => {
    const earlier = parseReport(pl);
    const later = parseReport(
      report(
        ["30 Apr 22", "31 Mar 22"],
        [
          ["Sales", "1,000.00", "9999.99"],
          ["Rent", "", ""],
          ["Interest", "3.00", "2.00"],
        ],
      ),
    );
    const merged = mergeBatches([earlier, later]);
    expect(merged.dates).toEqual(monthEndsBetween("2021-04-30", "2022-04-30"));
    expect(merged.data["Sales"]).toMatchObject({ "2022-02-28": 5583.36, "2022-03-31": 9999.99, "2022-04-30": 1000 });
    // The later report covers March and has Rent, but empty: its null wins, as the dict update of Zebbra's original framework did.
    expect(merged.data["Rent"]).toMatchObject({ "2022-03-31": null, "2022-04-30": null, "2021-04-30": 0 });
    // A title the later report lacks keeps its earlier values and is null for the new month.
    expect(merged.data["Net Profit"]).toMatchObject({ "2022-03-31": 7147.93, "2022-04-30": null });
    expect(merged.data["Interest"]).toMatchObject({
      "2021-04-30": null,
      "2022-02-28": null,
      "2022-03-31": 2,
      "2022-04-30": 3,
    });
    expect(mergeBatches([later, earlier]).data["Sales"]).toMatchObject({ "2022-03-31": 9262.53, "2022-04-30": 1000 });
  });

  it("should merge synthetic batches and treat an empty batch as neutral", () => {
    const a: DataBatch = { dates: ["2022-01-31", "2022-02-28"], data: { X: { "2022-01-31": 1, "2022-02-28": 2 } } };
    const b: DataBatch = {
      dates: ["2021-12-31", "2022-02-28"],
      data: { X: { "2021-12-31": 0, "2022-02-28": 20 }, Y: { "2021-12-31": 5, "2022-02-28": null } },
    };
    expect(mergeBatches([a, b])).toEqual({
      dates: ["2021-12-31", "2022-01-31", "2022-02-28"],
      data: {
        X: { "2021-12-31": 0, "2022-01-31": 1, "2022-02-28": 20 },
        Y: { "2021-12-31": 5, "2022-01-31": null, "2022-02-28": null },
      },
    });
    const empty: DataBatch = { dates: [], data: {} };
    expect(mergeBatches([])).toEqual(empty);
    expect(mergeBatches([empty, a, empty])).toEqual(a);
  });
});
