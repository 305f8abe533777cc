// Xero Profit & Loss and Balance Sheet reports: a report PUT for the tenant, else the recorded
// fixture when the requested end month is the recorded one, else a synthesized report in the same
// wire format (same envelope, same rows and titles, deterministic values per (title, month)).
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
/** Month index = year * 12 + month (0-based). */
const RECORDED_END: Record<XeroReportType, number> = { ProfitAndLoss: 2022 * 12 + 2, BalanceSheet: 2022 * 12 + 4 };
const STEP: Record<string, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };

const longDate = (day: number, mi: number) => `${day} ${LONG[mi % 12]} ${yearOf(mi)}`;
const headerLabel = (mi: number, fourDigitYear: boolean) =>
  `${lastDay(mi)} ${SHORT_MONTHS[mi % 12]} ${fourDigitYear ? yearOf(mi) : String(yearOf(mi) % 100).padStart(2, "0")}`;

const accountAttrs = (row: XeroRow) => row.Cells?.[0]?.Attributes?.filter((a) => a.Id === "account");
const hasAccount = (row: XeroRow) => (accountAttrs(row)?.length ?? 0) > 0;
const titleOf = (row: XeroRow) => row.Cells?.[0]?.Value ?? "";

function line(template: XeroRow, values: number[]): XeroRow {
  const attrs = accountAttrs(template);
  const cell = (Value: string): XeroCell =>
    attrs && attrs.length > 0 ? { Value, Attributes: attrs.map((a) => ({ ...a })) } : { Value };
  return { RowType: template.RowType, Cells: [cell(titleOf(template)), ...values.map((v) => cell(money(v)))] };
}

/** Rebuilds the template's sections with synthetic values for `months` (newest first). */
function synthesizeRows(type: XeroReportType, sections: XeroRow[], months: number[]): XeroRow[] {
  const zeros = () => months.map(() => 0);
  const leaf = (row: XeroRow) => months.map((mi) => syntheticCents(titleOf(row), mi));
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
        let values = leaf(row);
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
  const endMi = to?.mi ?? now.getUTCFullYear() * 12 + now.getUTCMonth();
  if (from && to && from.mi * 31 + from.day > to.mi * 31 + to.day) return validation("fromDate must be before toDate");

  const template = pl ? fixtures.profitAndLoss() : fixtures.balanceSheet();
  if (endMi === RECORDED_END[type]) return { status: 200, body: template };

  const months = Array.from({ length: periods + 1 }, (_, i) => endMi - i * step);
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
          ? [
              "Profit & Loss",
              tenant.name,
              `${from ? longDate(from.day, from.mi) : longDate(1, endMi)} to ${longDate(lastDay(endMi), endMi)}`,
            ]
          : ["Balance Sheet", tenant.name, `As at ${longDate(lastDay(endMi), endMi)}`],
        ReportDate: longDate(now.getUTCDate(), now.getUTCFullYear() * 12 + now.getUTCMonth()),
        UpdatedDateUTC: stamp,
        Fields: [],
        Rows: [
          {
            ...header,
            RowType: "Header",
            Cells: [{ Value: "" }, ...months.map((mi) => ({ Value: headerLabel(mi, !pl) }))],
          },
          ...synthesizeRows(type, sections, months),
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
