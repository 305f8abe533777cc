// Xero Profit & Loss and Balance Sheet reports: a report PUT for the tenant, else the recorded
// fixture when the request is exactly the recorded one, else a synthesized report in the same wire
// format (same envelope, same rows and titles), meaning what Xero's reports mean:
// - Profit & Loss: the first column sums `fromDate`..`toDate`; each of the `periods` comparison
//   columns sums *the same span* moved back one `timeframe` step, labelled by its end date (Xero's
//   OpenAPI spec, getReportProfitAndLoss: `periods` "the number of periods to compare", `timeframe`
//   "the period size to compare to"; XeroAPI/xero-php-oauth2#250). Amounts are per day, so any span
//   sums exactly: a 12-month span moved back a month is a rolling 12-month sum, as at Xero.
// - Balance Sheet: a balance at each column's date, `date` then `periods` steps back.
import { fixtures } from "./fixtures.ts";
import type { XeroCell, XeroReportResponse, XeroRow } from "./fixtures.ts";
import { json, queryParam, uuid } from "./http.ts";
import type { Reply } from "./http.ts";
import type { State } from "./store.ts";
import {
  add,
  lastDay,
  money,
  parseDate,
  type ReportResult,
  SHORT_MONTHS,
  syntheticCents,
  yearOf,
} from "./synthetic.ts";
import type { Tenant, XeroReportType } from "./types.ts";

const LONG = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
/** The recorded fixtures' requests: the fixture is served for exactly these. */
const RECORDED: Record<XeroReportType, Record<string, string>> = {
  ProfitAndLoss: { fromDate: "2021-05-17", toDate: "2022-03-31", periods: "11" },
  BalanceSheet: { date: "2022-05-31", periods: "11" },
};
const STEP: Record<string, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };

/** A calendar day as a month index (year * 12 + 0-based month) and a day of the month. */
interface Day {
  mi: number;
  day: number;
}

const longDate = ({ day, mi }: Day) => `${day} ${LONG[mi % 12]} ${yearOf(mi)}`;
const headerLabel = ({ day, mi }: Day, fourDigitYear: boolean) =>
  `${day} ${SHORT_MONTHS[mi % 12]} ${fourDigitYear ? yearOf(mi) : String(yearOf(mi) % 100).padStart(2, "0")}`;
const before = (a: Day, b: Day) => a.mi < b.mi || (a.mi === b.mi && a.day < b.day);

/** The day `months` months earlier: a month's last day stays a last day, another day is clamped to the month. */
function shiftBack(date: Day, months: number): Day {
  const mi = date.mi - months;
  return { mi, day: date.day === lastDay(date.mi) ? lastDay(mi) : Math.min(date.day, lastDay(mi)) };
}

/**
 * Deterministic takings of one account (`key`: the organisation and the title, so each organisation
 * keeps its own books) on one day, in cents (0.00 to 333.32): a month sums to 0–9,999.96.
 */
function dayCents(key: string, { mi, day }: Day): number {
  return Math.floor(syntheticCents(`${key}|${day}`, mi) / 30);
}

/** An account's sum over `from`..`to`, both days included. */
function spanCents(key: string, from: Day, to: Day): number {
  let sum = 0;
  for (let mi = from.mi; mi <= to.mi; mi++) {
    const last = mi === to.mi ? to.day : lastDay(mi);
    for (let day = mi === from.mi ? from.day : 1; day <= last; day++) sum += dayCents(key, { mi, day });
  }
  return sum;
}

const accountAttrs = (row: XeroRow) => row.Cells?.[0]?.Attributes?.filter((a) => a.Id === "account");
const hasAccount = (row: XeroRow) => (accountAttrs(row)?.length ?? 0) > 0;
const titleOf = (row: XeroRow) => row.Cells?.[0]?.Value ?? "";

function line(template: XeroRow, values: number[]): XeroRow {
  const attrs = accountAttrs(template);
  const cell = (Value: string): XeroCell =>
    attrs && attrs.length > 0 ? { Value, Attributes: attrs.map((a) => ({ ...a })) } : { Value };
  return { RowType: template.RowType, Cells: [cell(titleOf(template)), ...values.map((v) => cell(money(v)))] };
}

/** Rebuilds the template's sections with synthetic values, one per column, from `leaf` (an account's values). */
function synthesizeRows(
  type: XeroReportType,
  sections: XeroRow[],
  columns: number,
  leaf: (title: string) => number[],
): XeroRow[] {
  const zeros = () => Array.from({ length: columns }, () => 0);
  let running = zeros(); // P&L: profit so far
  let group = zeros(); // BS: sum of the current group (Assets, Liabilities)
  const totals: number[][] = []; // BS: "Total Assets", "Total Liabilities"
  let netAssets: number[] | null = null;
  return sections.map((section) => {
    const rows = section.Rows ?? [];
    if (rows.length === 0) {
      group = zeros();
      return { ...section, Rows: [] };
    }
    let sum = zeros();
    const accounts = rows.filter(hasAccount);
    const out = rows.map((row) => {
      if (hasAccount(row)) {
        let values = leaf(titleOf(row));
        // Balance sheet equity balances: the last equity account is the plug, so Equity = Net Assets.
        if (type === "BalanceSheet" && section.Title === "Equity" && netAssets && row === accounts.at(-1))
          values = add(netAssets, sum, -1);
        sum = add(sum, values);
        return line(row, values);
      }
      if (section.Title) return line(row, sum); // the section's SummaryRow
      if (type === "ProfitAndLoss") return line(row, running); // Gross Profit, Net Profit
      if (titleOf(row).startsWith("Total ")) {
        totals.push(group);
        return line(row, group);
      }
      netAssets = totals.slice(1).reduce((acc, t) => add(acc, t, -1), totals[0] ?? zeros());
      return line(row, netAssets);
    });
    if (section.Title) {
      running = add(running, sum, section.Title.startsWith("Less ") ? -1 : 1);
      group = add(group, sum);
    }
    return { ...section, Rows: out };
  });
}

const validation = (message: string): ReportResult => ({
  status: 400,
  body: { ErrorNumber: 16, Type: "QueryParseException", Message: message },
});

/** Whether the query is exactly the recorded fixture's request (timeframe MONTH, the default, aside). */
function isRecorded(type: XeroReportType, url: URL): boolean {
  const timeframe = queryParam(url, "timeframe");
  if (timeframe !== undefined && timeframe.toUpperCase() !== "MONTH") return false;
  return Object.entries(RECORDED[type]).every(([key, value]) => queryParam(url, key) === value);
}

/** The report body Xero would answer for this tenant and query. */
export function buildReport(
  state: State,
  tenant: Pick<Tenant, "id" | "name">,
  type: XeroReportType,
  url: URL,
): ReportResult {
  const stored = state.reports.get(`${tenant.id}/${type}`);
  if (stored !== undefined) return { status: 200, body: stored };
  const pl = type === "ProfitAndLoss";
  const toParam = queryParam(url, pl ? "toDate" : "date");
  const fromParam = pl ? queryParam(url, "fromDate") : undefined;
  const to = toParam ? parseDate(toParam) : null;
  if (toParam && !to) return validation(`${pl ? "toDate" : "date"} is not a valid date: ${toParam}`);
  const from = fromParam ? parseDate(fromParam) : null;
  if (fromParam && !from) return validation(`fromDate is not a valid date: ${fromParam}`);
  const periodsParam = queryParam(url, "periods");
  const periods = periodsParam ? Number(periodsParam) : 0;
  if (!Number.isInteger(periods) || periods < 0 || periods > 12)
    return validation("periods must be an integer between 1 and 12");
  const timeframe = (queryParam(url, "timeframe") ?? "MONTH").toUpperCase();
  const step = STEP[timeframe];
  if (!step) return validation("timeframe must be MONTH, QUARTER or YEAR");
  const now = new Date();
  const today: Day = { mi: now.getUTCFullYear() * 12 + now.getUTCMonth(), day: now.getUTCDate() };
  // Xero's defaults: toDate (date) the end of the current month, fromDate the first of toDate's month.
  const end: Day = to ?? { mi: today.mi, day: lastDay(today.mi) };
  const start: Day = from ?? { mi: end.mi, day: 1 };
  if (before(end, start)) return validation("fromDate must be before toDate");

  const template = pl ? fixtures.profitAndLoss() : fixtures.balanceSheet();
  if (isRecorded(type, url)) return { status: 200, body: template };

  // Column i: the span (P&L) or the date (Balance Sheet) moved back i timeframe steps, newest first.
  const spans = Array.from({ length: periods + 1 }, (_, i) => ({
    from: shiftBack(start, i * step),
    to: shiftBack(end, i * step),
  }));
  const key = (title: string) => `${tenant.id}|${title}`;
  const leaf = pl
    ? (title: string) => spans.map((span) => spanCents(key(title), span.from, span.to))
    : (title: string) => spans.map((span) => syntheticCents(key(title), span.to.mi));
  const recorded = template.Reports[0];
  if (!recorded) throw new Error("fixture without a report");
  const [header, ...sections] = recorded.Rows;
  const stamp = `/Date(${now.getTime()})/`;
  const body: XeroReportResponse = {
    Id: uuid(),
    Status: "OK",
    ProviderName: template.ProviderName,
    DateTimeUTC: stamp,
    Reports: [
      {
        ...recorded,
        ReportTitles: pl
          ? ["Profit & Loss", tenant.name, `${longDate(start)} to ${longDate(end)}`]
          : ["Balance Sheet", tenant.name, `As at ${longDate(end)}`],
        ReportDate: longDate(today),
        UpdatedDateUTC: stamp,
        Fields: [],
        Rows: [
          {
            ...header,
            RowType: "Header",
            Cells: [{ Value: "" }, ...spans.map((span) => ({ Value: headerLabel(span.to, !pl) }))],
          },
          ...synthesizeRows(type, sections, spans.length, leaf),
        ],
      },
    ],
  };
  return { status: 200, body };
}

/** Xero answers XML unless the client asks for JSON; a minimal envelope is enough to trip a parser. */
export function xeroReply(result: ReportResult, accept: string | undefined): Reply {
  if ((accept ?? "").toLowerCase().includes("application/json")) return json(result.status, result.body);
  const xml =
    result.status === 200
      ? `<Response xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Id>${uuid()}</Id><Status>OK</Status><Reports><Report>...</Report></Reports></Response>`
      : `<ApiException xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ErrorNumber>16</ErrorNumber><Type>QueryParseException</Type></ApiException>`;
  return { status: result.status, headers: { "Content-Type": "text/xml; charset=utf-8" }, body: xml };
}
