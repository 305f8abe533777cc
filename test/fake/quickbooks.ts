// QuickBooks Online (Intuit) wire formats: its error bodies, and Profit & Loss / Balance Sheet
// reports: the body a test PUT for the realm, else a report synthesized for the requested period in
// the fixtures' shape (their rows and titles, deterministic amounts per realm, title and month).
import { fixtures } from "./fixtures.ts";
import type { QuickBooksCell, QuickBooksColumn, QuickBooksReport, QuickBooksRow } from "./fixtures.ts";
import { json, queryParam } from "./http.ts";
import type { Reply } from "./http.ts";
import type { State } from "./store.ts";
import { add, isoDate, lastDay, money, parseDate, SHORT_MONTHS, syntheticCents, yearOf } from "./synthetic.ts";
import type { ReportResult } from "./synthetic.ts";
import type { QuickBooksReportType } from "./types.ts";

/** Intuit's API gateway answers 401 and 403 with lower-camel-case keys, unlike the API's own `Fault`. */
function gatewayFault(status: 401 | 403, detail: string): unknown {
  const [name, code, type] =
    status === 401 ? ["AuthenticationFailed", "3200", "AUTHENTICATION"] : ["AuthorizationFailed", "3100", "SERVICE"];
  return {
    warnings: null,
    intuitObject: null,
    fault: {
      error: [{ message: `message=${name}; errorCode=00${code}; statusCode=${status}`, detail, code, element: null }],
      type,
    },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: Date.now(),
    status: null,
    cdcresponse: [],
  };
}

/**
 * An error as QuickBooks answers it: 401 / 403 from the gateway (JSON, lower camel case), 429 as
 * XML even when JSON was asked for, anything else as a JSON `Fault` (ValidationFault for 4xx).
 */
export function quickBooksFault(status: number, detail: string, headers: Record<string, string> = {}): Reply {
  if (status === 401 || status === 403) return json(status, gatewayFault(status, detail), headers);
  if (status === 429) {
    const xml =
      `<IntuitResponse time="${new Date().toISOString()}" xmlns="http://schema.intuit.com/finance/v3">` +
      `<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>` +
      `<Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>`;
    return { status, headers: { "Content-Type": "application/xml", ...headers }, body: xml };
  }
  const [type, code] = status < 500 ? ["ValidationFault", "2010"] : ["SystemFault", "10000"];
  const body = { Fault: { Error: [{ Message: detail, Detail: detail, code, element: "" }], type }, time: new Date() };
  return json(status, body, headers);
}

const invalid = (detail: string): ReportResult => ({ status: 400, body: quickBooksFault(400, detail).body });

// Group-only summary sections of a Profit & Loss: [group, sign][] they add up.
const FORMULAS: Record<string, [string, number][]> = {
  GrossProfit: [
    ["Income", 1],
    ["COGS", -1],
  ],
  NetOperatingIncome: [
    ["GrossProfit", 1],
    ["Expenses", -1],
  ],
  NetOtherIncome: [
    ["OtherIncome", 1],
    ["OtherExpenses", -1],
  ],
  NetIncome: [
    ["NetOperatingIncome", 1],
    ["NetOtherIncome", 1],
  ],
};

interface Synthesis {
  key: string;
  balanceSheet: boolean;
  months: number[];
  /** Totals by row group (Income, Liabilities, GrossProfit, …) as they are computed. */
  groups: Map<string, number[]>;
}

/** Rebuilds template rows with synthetic cents per month; returns them and the sum they contribute. */
function synthesizeRows(rows: QuickBooksRow[], s: Synthesis): { rows: QuickBooksRow[]; total: number[] } {
  const zeros = () => s.months.map(() => 0);
  const cells = (values: number[], blankZero: boolean): QuickBooksCell[] => {
    // A Balance Sheet's Total column is the balance at the end; a Profit & Loss's sums the months.
    const total = s.balanceSheet ? (values.at(-1) ?? 0) : values.reduce((a, b) => a + b, 0);
    return [...values, total].map((v) => ({ value: blankZero && v === 0 ? "" : money(v) }));
  };
  const first = (data: QuickBooksCell[] | undefined): QuickBooksCell => ({ ...(data?.[0] ?? { value: "" }) });
  let total = zeros();
  const out = rows.map((row): QuickBooksRow => {
    if (row.ColData) {
      const title = row.ColData[0]?.value ?? "";
      // The equity Net Income balances the sheet: Total Assets - Liabilities - the rest of Equity.
      const values =
        s.balanceSheet && row.group === "NetIncome"
          ? add(add(s.groups.get("TotalAssets") ?? zeros(), s.groups.get("Liabilities") ?? zeros(), -1), total, -1)
          : s.months.map((mi) => {
              const cents = syntheticCents(`${s.key}|${title}`, mi);
              return cents % 8 === 0 ? 0 : cents; // now and then a month without activity: an empty cell
            });
      total = add(total, values);
      return { ...row, ColData: [first(row.ColData), ...cells(values, true)] };
    }
    if (!row.Rows) {
      const values = (FORMULAS[row.group ?? ""] ?? []).reduce(
        (acc, [group, sign]) => add(acc, s.groups.get(group) ?? zeros(), sign),
        zeros(),
      );
      if (row.group) s.groups.set(row.group, values);
      return { ...row, Summary: { ColData: [first(row.Summary?.ColData), ...cells(values, false)] } };
    }
    const inner = synthesizeRows(row.Rows.Row, s);
    if (row.group) s.groups.set(row.group, inner.total);
    total = add(total, inner.total);
    return {
      ...row,
      Header: { ColData: [first(row.Header?.ColData), ...cells(zeros(), true)] },
      Rows: { Row: inner.rows },
      Summary: { ColData: [first(row.Summary?.ColData), ...cells(inner.total, false)] },
    };
  });
  return { rows: out, total };
}

/** The report body QuickBooks would answer for this realm and query. */
export function buildQuickBooksReport(
  state: State,
  realmId: string,
  type: QuickBooksReportType,
  url: URL,
): ReportResult {
  const stored = state.reports.get(`${realmId}/${type}`);
  if (stored !== undefined) return { status: 200, body: stored };
  const now = new Date();
  const today = isoDate(now.getUTCFullYear() * 12 + now.getUTCMonth(), now.getUTCDate());
  // Without dates QuickBooks reports this calendar year to date.
  const startParam = queryParam(url, "start_date") ?? `${today.slice(0, 4)}-01-01`;
  const endParam = queryParam(url, "end_date") ?? today;
  const start = parseDate(startParam);
  const end = parseDate(endParam);
  if (!start || !end) return invalid("start_date and end_date must be YYYY-MM-DD dates");
  if (start.mi * 31 + start.day > end.mi * 31 + end.day) return invalid("start_date must not be after end_date");
  const basis = queryParam(url, "accounting_method") ?? "Accrual";
  if (basis !== "Accrual" && basis !== "Cash") return invalid("accounting_method must be Accrual or Cash");
  // QuickBooks defaults to one Total column; this fake serves only reports summarized by month.
  if (queryParam(url, "summarize_column_by") !== "Month")
    return invalid("the fake serves summarize_column_by=Month only");

  const months = Array.from({ length: end.mi - start.mi + 1 }, (_, i) => start.mi + i);
  const template = fixtures.quickBooks(type);
  const balanceSheet = type === "BalanceSheet";
  const { rows } = synthesizeRows(template.Rows.Row ?? [], { key: realmId, balanceSheet, months, groups: new Map() });
  const monthColumns = months.map((mi): QuickBooksColumn => {
    const title = `${SHORT_MONTHS[mi % 12]} ${yearOf(mi)}`;
    const from = mi === start.mi ? start.day : 1;
    const to = mi === end.mi ? end.day : lastDay(mi);
    const meta = { StartDate: isoDate(mi, from), EndDate: isoDate(mi, to), ColKey: title };
    return {
      ColTitle: title,
      ColType: "Money",
      MetaData: Object.entries(meta).map(([Name, Value]) => ({ Name, Value })),
    };
  });
  const body: QuickBooksReport = {
    Header: {
      Time: now.toISOString().replace(/\.\d{3}Z$/, "+00:00"),
      ReportName: type,
      ReportBasis: basis,
      StartPeriod: startParam,
      EndPeriod: endParam,
      SummarizeColumnsBy: "Month",
      Currency: "USD",
      Option: [
        { Name: "AccountingStandard", Value: "GAAP" },
        { Name: "NoReportData", Value: "false" },
      ],
    },
    Columns: {
      Column: [
        { ColTitle: "", ColType: "Account", MetaData: [{ Name: "ColKey", Value: "account" }] },
        ...monthColumns,
        { ColTitle: "Total", ColType: "Money", MetaData: [{ Name: "ColKey", Value: "total" }] },
      ],
    },
    Rows: { Row: rows },
  };
  return { status: 200, body };
}
