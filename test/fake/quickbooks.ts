// QuickBooks Online (Intuit) wire formats: its error bodies, a company's CompanyInfo, and Profit & Loss /
// Balance Sheet reports: the body a test PUT for the realm, else a report synthesized for the requested period in
// the fixtures' shape (their rows and titles, deterministic amounts per realm, line and month) that
// adds up the way Intuit's does: parents' own postings in Headers, the equity Net Income year to date.
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

/**
 * The realm's CompanyInfo as Intuit answers a read of it, its name the tenant's: the fields of
 * Intuit's sample (developer.intuit.com, accounting API, CompanyInfo entity).
 */
export function companyInfo(realm: { id: string; name: string }): unknown {
  const address = {
    Id: "1",
    Line1: "2500 Garcia Ave",
    City: "Mountain View",
    CountrySubDivisionCode: "CA",
    PostalCode: "94043",
  };
  return {
    CompanyInfo: {
      CompanyName: realm.name,
      LegalName: realm.name,
      CompanyAddr: address,
      LegalAddr: address,
      Country: "US",
      FiscalYearStartMonth: "January",
      SupportedLanguages: "en",
      domain: "QBO",
      sparse: false,
      Id: "1",
      SyncToken: "4",
      MetaData: { CreateTime: "2015-06-05T13:55:54-07:00", LastUpdatedTime: "2015-07-06T08:51:50-07:00" },
      NameValue: [{ Name: "OfferingSku", Value: "QuickBooks Online Plus" }],
    },
    time: new Date().toISOString(),
  };
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
  /** Balance Sheet: the equity Net Income per month, the Profit & Loss's fiscal year to date. */
  netIncome?: number[];
  /** Added to the amounts of the line of this title: the Balance Sheet's balancing Retained Earnings. */
  adjust?: Map<string, number[]>;
}

/**
 * Rebuilds template rows with synthetic cents per month; returns them and the sum they contribute.
 * `path` is the titles of the sections around `rows`: amounts hash on it, so that one account name
 * under two parents (the template's two "Insurance") has two sets of figures, as in a real company.
 */
function synthesizeRows(
  rows: QuickBooksRow[],
  s: Synthesis,
  path: string[] = [],
): { rows: QuickBooksRow[]; total: number[] } {
  const zeros = () => s.months.map(() => 0);
  const cells = (values: number[], blankZero: boolean): QuickBooksCell[] => {
    // A Balance Sheet's Total column is the balance at the end; a Profit & Loss's sums the months.
    const total = s.balanceSheet ? (values.at(-1) ?? 0) : values.reduce((a, b) => a + b, 0);
    return [...values, total].map((v) => ({ value: blankZero && v === 0 ? "" : money(v) }));
  };
  const first = (data: QuickBooksCell[] | undefined): QuickBooksCell => ({ ...(data?.[0] ?? { value: "" }) });
  const amounts = (title: string): number[] => {
    const values = s.months.map((mi) => {
      const cents = syntheticCents(`${s.key}|${[...path, title].join(" / ")}`, mi);
      return cents % 8 === 0 ? 0 : cents; // now and then a month without activity: an empty cell
    });
    const adjust = s.adjust?.get(title);
    return adjust ? add(values, adjust) : values;
  };
  let total = zeros();
  const out = rows.map((row): QuickBooksRow => {
    if (row.ColData) {
      const title = row.ColData[0]?.value ?? "";
      const values = s.balanceSheet && row.group === "NetIncome" ? (s.netIncome ?? zeros()) : amounts(title);
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
    const header = first(row.Header?.ColData);
    // A parent account with postings of its own (amounts in the template's Header): QuickBooks writes
    // them in the section's Header cells, and its Summary adds them to the sub-accounts'.
    const ownPostings = row.Header?.ColData.slice(1).some((cell) => cell.value !== "") ?? false;
    const own = ownPostings ? amounts(header.value) : zeros();
    const inner = synthesizeRows(row.Rows.Row, s, [...path, header.value]);
    const sectionTotal = add(own, inner.total);
    if (row.group) s.groups.set(row.group, sectionTotal);
    total = add(total, sectionTotal);
    return {
      ...row,
      Header: { ColData: [header, ...cells(own, true)] },
      Rows: { Row: inner.rows },
      Summary: { ColData: [first(row.Summary?.ColData), ...cells(sectionTotal, false)] },
    };
  });
  return { rows: out, total };
}

/**
 * The Profit & Loss's Net Income from each month's fiscal-year start (January here) to its end, as
 * QuickBooks shows it in the Balance Sheet's equity: the sum of the synthesized monthly figures.
 */
function yearToDateNetIncome(realmId: string, months: number[]): number[] {
  const from = (months[0] ?? 0) - ((months[0] ?? 0) % 12);
  const span = Array.from({ length: (months.at(-1) ?? from) - from + 1 }, (_, i) => from + i);
  const s: Synthesis = { key: realmId, balanceSheet: false, months: span, groups: new Map() };
  synthesizeRows(fixtures.quickBooks("ProfitAndLoss").Rows.Row ?? [], s);
  const monthly = s.groups.get("NetIncome") ?? [];
  const yearToDate = new Map<number, number>();
  let sum = 0;
  for (const [i, mi] of span.entries()) {
    if (mi % 12 === 0) sum = 0;
    sum += monthly[i] ?? 0;
    yearToDate.set(mi, sum);
  }
  return months.map((mi) => yearToDate.get(mi) ?? 0);
}

/** Balance Sheet rows: equity Net Income the P&L's year to date, Retained Earnings what makes the sheet balance. */
function balanceSheetRows(realmId: string, months: number[], template: QuickBooksRow[]): QuickBooksRow[] {
  const base = { key: realmId, balanceSheet: true, months, netIncome: yearToDateNetIncome(realmId, months) };
  const draft: Synthesis = { ...base, groups: new Map() };
  synthesizeRows(template, draft);
  const zeros = months.map(() => 0);
  const gap = add(draft.groups.get("TotalAssets") ?? zeros, draft.groups.get("TotalLiabilitiesAndEquity") ?? zeros, -1);
  return synthesizeRows(template, { ...base, groups: new Map(), adjust: new Map([["Retained Earnings", gap]]) }).rows;
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
  const template = fixtures.quickBooks(type).Rows.Row ?? [];
  const rows =
    type === "BalanceSheet"
      ? balanceSheetRows(realmId, months, template)
      : synthesizeRows(template, { key: realmId, balanceSheet: false, months, groups: new Map() }).rows;
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
