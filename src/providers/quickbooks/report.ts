// QuickBooks Online's data logic, without I/O: which report requests cover the 24 months of Zebbra's
// original framework, how a Profit & Loss or Balance Sheet summarized by month is read into lines
// that add up, and how one fetch's lines become a DataBatch.
import * as z from "zod/mini";
import { type DataBatch, mergeBatches, ProviderDataError, UnexpectedReportError } from "../../framework/data";
import { addMonths, type DateInput, monthEnd, parseDate, parseIsoDate } from "../../framework/dates";
import { lazy } from "../../framework/lazy";

/**
 * The Accounting API minor version sent with every request. Intuit discontinued 1–74 on
 * 1 August 2025 and answers 75 whatever a lower one asks for:
 * https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/minor-versions
 */
export const MINOR_VERSION = "75";

/** A reporting period: ISO dates, the first day of a month to the last day of a month ≤ 6 months on. */
export interface ReportPeriod {
  start: string;
  end: string;
}

/** The reports the adapter reads: `GET /v3/company/<realmId>/reports/<report>`. */
export type QuickBooksReportName = "ProfitAndLoss" | "BalanceSheet";

/** One report request: its name (the URL segment) and query parameters. */
export interface ReportRequest {
  report: QuickBooksReportName;
  params: Record<string, string>;
}

/**
 * The 24 months Zebbra's original framework fetches from a cache date: its month's first day to the
 * last day of the month 23 months on.
 */
export function reportRange(fromDate: DateInput): { from: string; to: string } {
  return { from: addMonths(fromDate, 0), to: monthEnd(addMonths(fromDate, 23)) };
}

/**
 * Splits the months of `from`..`to` into contiguous periods of at most 6 months, oldest first:
 * Intuit advises limiting a report request to six months (docs "Run reports"). Empty when `to`'s
 * month is before `from`'s.
 */
export function reportPeriods(from: DateInput, to: DateInput): ReportPeriod[] {
  const last = monthEnd(to);
  const periods: ReportPeriod[] = [];
  // ISO strings compare like dates.
  for (let start = addMonths(from, 0); start <= last; start = addMonths(start, 6)) {
    const full = monthEnd(addMonths(start, 5));
    periods.push({ start, end: full < last ? full : last });
  }
  return periods;
}

/** The two requests for a period, in the order their batches are merged: Profit & Loss, then Balance Sheet. */
export function reportRequests(period: ReportPeriod): [ReportRequest, ReportRequest] {
  const params = {
    start_date: period.start,
    end_date: period.end,
    summarize_column_by: "Month",
    accounting_method: "Accrual",
    minorversion: MINOR_VERSION,
  };
  return [
    { report: "ProfitAndLoss", params },
    { report: "BalanceSheet", params: { ...params } },
  ];
}

type Cells = { value?: string | undefined }[];
/** A report row (Report.xsd): a Section (Header, Rows, Summary) or a Data row (ColData). */
interface Row {
  type?: "Section" | "Data" | undefined;
  ColData?: Cells | undefined;
  Header?: { ColData: Cells } | undefined;
  Rows?: { Row?: Row[] | undefined } | undefined;
  Summary?: { ColData: Cells } | undefined;
}

const reportResponse = lazy(() => {
  const cells = z.array(z.object({ value: z.optional(z.string()) }));
  const nameValues = z.optional(z.array(z.object({ Name: z.string(), Value: z.optional(z.string()) })));
  const row: z.ZodMiniType<Row> = z.object({
    type: z.optional(z.enum(["Section", "Data"])),
    ColData: z.optional(cells),
    Header: z.optional(z.object({ ColData: cells })),
    get Rows() {
      return z.optional(z.object({ Row: z.optional(z.array(row)) }));
    },
    Summary: z.optional(z.object({ ColData: cells })),
  });
  return z.object({
    Header: z.object({ Option: nameValues }),
    Columns: z.object({ Column: z.array(z.object({ ColTitle: z.optional(z.string()), MetaData: nameValues })) }),
    Rows: z.optional(z.object({ Row: z.optional(z.array(row)) })),
  });
});
type Column = z.infer<ReturnType<typeof reportResponse>>["Columns"]["Column"][number];

// Plain decimals as QuickBooks writes them ("674842.00", "-861.03"); thousands separators tolerated.
const DECIMAL = /^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$/;
// Month column titles: "Jan 2024" (also "Jan. 2024" and "January 2024").
const MONTH_TITLE = /^([A-Za-z]+)\.? (\d{4})$/;

function shapeError(message: string): ProviderDataError {
  return new ProviderDataError("QuickBooks", `unexpected report shape: ${message}`);
}

/** A month column's date: its MetaData EndDate, else its "Jan 2024" title; null for any other column. */
function columnDate(column: Column, index: number): string | null {
  const endDate = column.MetaData?.find((meta) => meta.Name === "EndDate");
  if (endDate) {
    const date = parseIsoDate(endDate.Value ?? "");
    if (!date) throw shapeError(`column ${index} has an EndDate that is not a YYYY-MM-DD date`);
    // A partial first or last month still stands for its month: DataBatch dates are month ends.
    return monthEnd(date);
  }
  const title = MONTH_TITLE.exec(column.ColTitle?.trim() ?? "");
  const first = title ? parseDate(`1 ${title[1]} ${title[2]}`) : null;
  return first ? monthEnd(first) : null;
}

/** Whether a row is a Data row or a Section; anything else is a row the parser cannot place. */
function rowKind(row: Row, at: string): "Data" | "Section" {
  const sectionParts = row.Header !== undefined || row.Rows !== undefined || row.Summary !== undefined;
  const kind = row.type ?? (row.ColData ? "Data" : sectionParts ? "Section" : undefined);
  if (kind === "Data") {
    if (!row.ColData) throw shapeError(`Data row ${at} has no ColData`);
    if (sectionParts) throw shapeError(`Data row ${at} also has a Header, Rows or Summary`);
  } else if (kind === "Section") {
    if (!sectionParts) throw shapeError(`Section ${at} has no Header, Rows or Summary`);
    if (row.ColData) throw shapeError(`Section ${at} also has ColData`);
  } else {
    throw shapeError(`row ${at} is neither a Data row nor a Section`);
  }
  return kind;
}

/** One line of a report: its title, the titles of the sections it sits in (outermost first), one amount per month. */
export interface ReportLine {
  title: string;
  path: string[];
  /** One amount per entry of the report's `dates`; an empty or missing cell is 0. */
  amounts: number[];
}

/** A report read into lines, in report order, for its month ends (ascending). */
export interface ReportLines {
  report: QuickBooksReportName;
  dates: string[];
  lines: ReportLine[];
}

const add = (a: number[], b: number[]): number[] => a.map((v, i) => v + (b[i] ?? 0));

/**
 * Reads a QuickBooks report summarized by month (`{ Header, Columns, Rows }`) into lines. Month
 * columns (MetaData EndDate, else a "Jan 2024" title) give the dates; the account column and the
 * Total column are skipped. The rows mean what Intuit's "Run reports" page and Report.xsd say
 * (https://developer.intuit.com/app/developer/qbo/docs/develop/tutorials/run-reports,
 * intuit/QuickBooks-V3-DotNET-SDK Report.xsd): a Section groups accounts under its `Header`, holds
 * them in `Rows` and rolls their total up into its `Summary`; a `Data` row is one account with data.
 * Every one becomes a line:
 * - a Data row: its first cell is the title, the others its amounts;
 * - a Section's Header, when it has an amount: the parent account's own postings. Intuit writes
 *   them there, not as a row (its sample company: Header "Automobile" 93.97 + "Fuel" 115.71 =
 *   "Total Automobile" 209.68, test/fixtures/quickbooks/profit-and-loss-2024-12-sample-company.json);
 * - a Section's Summary: the section's total, or, in a section with no Header and no Rows, a line
 *   computed from other sections (Gross Profit, Net Operating Income, Net Income, …).
 * A line's path is the titles of the sections around its row: a Section's Header and Summary lines
 * sit where the Section does, as the report indents them. A report with NoReportData or without
 * rows has no lines.
 *
 * Throws ProviderDataError when a row cannot be placed (neither Data nor Section, no title, a cell
 * that is not an amount), and UnexpectedReportError when a section with Rows does not add up: its
 * Header amount plus its Data rows and nested sections' totals must equal its Summary, to the cent,
 * in every month. Neither message quotes amounts or account names.
 */
export function readQuickBooksReport(report: QuickBooksReportName, json: unknown): ReportLines {
  const parsed = reportResponse().safeParse(json);
  if (!parsed.success) throw shapeError(z.prettifyError(parsed.error));
  const { Header, Columns, Rows } = parsed.data;

  const columns: { index: number; date: string }[] = [];
  for (const [index, column] of Columns.Column.entries()) {
    if (index === 0) continue; // the account column
    const date = columnDate(column, index);
    if (date === null) continue;
    if (columns.some((c) => c.date === date)) throw shapeError(`two columns are for the month ending ${date}`);
    columns.push({ index, date });
  }
  columns.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const dates = columns.map((column) => column.date);

  const noData = Header.Option?.some((o) => o.Name === "NoReportData" && o.Value?.toLowerCase() === "true");
  const top = Rows?.Row ?? [];
  if (noData || top.length === 0) return { report, dates, lines: [] };
  if (columns.length === 0) throw shapeError("the report has rows but no month columns (not summarized by Month?)");

  const lines: ReportLine[] = [];
  const zeros = (): number[] => columns.map(() => 0);
  const cellText = (cells: Cells, index: number): string => cells[index]?.value?.trim() ?? "";
  /** Adds the line `cells` make at `path`; returns its amounts in cents, so that sums are exact. */
  const line = (cells: Cells, path: string[], where: string): number[] => {
    const title = cells[0]?.value;
    if (!title) throw shapeError(`${where} has no title in its first cell`);
    const amounts = columns.map(({ index }) => {
      const text = cellText(cells, index);
      if (text === "") return 0;
      if (!DECIMAL.test(text)) throw shapeError(`${where}, column ${index} is not an amount`);
      return Number(text.replaceAll(",", ""));
    });
    lines.push({ title, path, amounts });
    return amounts.map((amount) => Math.round(amount * 100));
  };
  /** Reads `rows` at `path`; returns what they add up to in cents, computed lines left out. */
  const walk = (rows: Row[], path: string[], where: string): number[] => {
    let sum = zeros();
    for (const [i, row] of rows.entries()) {
      const at = `${where}[${i}]`;
      if (rowKind(row, at) === "Data") {
        sum = add(sum, line(row.ColData ?? [], path, `row ${at}`));
        continue;
      }
      const header = row.Header?.ColData;
      const hasOwn = header !== undefined && columns.some(({ index }) => cellText(header, index) !== "");
      const own = hasOwn ? line(header, path, `the Header of ${at}`) : zeros();
      if (!row.Rows) {
        const summary = row.Summary ? line(row.Summary.ColData, path, `the Summary of ${at}`) : own;
        // Without a Header it is a computed line (Gross Profit, …) that no section sums.
        if (header) sum = add(sum, summary);
        continue;
      }
      const title = header?.[0]?.value;
      if (!title) throw shapeError(`Section ${at} has rows but no title in its Header`);
      const total = add(own, walk(row.Rows.Row ?? [], [...path, title], `${at}.Rows.Row`));
      if (!row.Summary) {
        sum = add(sum, total);
        continue;
      }
      const summary = line(row.Summary.ColData, path, `the Summary of ${at}`);
      const month = summary.findIndex((cents, c) => cents !== total[c]);
      if (month >= 0)
        throw new UnexpectedReportError(
          "QuickBooks",
          `the ${report} report's section ${at} does not add up to its Summary in the month ending ${dates[month]}`,
        );
      sum = add(sum, summary);
    }
    return sum;
  };
  walk(top, [], "Rows.Row");
  return { report, dates, lines };
}

/** The P&L's month's net income; the Balance Sheet's equity line of this title is the fiscal year to date. */
const NET_INCOME = "Net Income";

/** A line's title qualified by its section path: "Expenses / Job Expenses / Job Materials / Plants and Soil". */
export const qualifiedTitle = (line: ReportLine): string => [...line.path, line.title].join(" / ");

/**
 * One fetch's reports (every period's Profit & Loss and Balance Sheet) as one DataBatch, merged in
 * request order. Every line is served. A title that occurs in one place of the fetch (one report,
 * one section path) is served as it is; a title that occurs in more places is served once per place
 * under its qualified title (`qualifiedTitle`). Places are counted over the whole fetch, so an
 * account keeps one name in every period. The Balance Sheet's `Net Income` (equity, fiscal year to
 * date) is always qualified ("LIABILITIES AND EQUITY / Equity / Net Income"), so that `Net Income`
 * is the Profit & Loss's month. Throws ProviderDataError when two places would share a name.
 */
export function quickBooksBatch(reports: readonly ReportLines[]): DataBatch {
  const placeOf = (report: QuickBooksReportName, line: ReportLine) => `${report}:${qualifiedTitle(line)}`;
  const places = new Map<string, Set<string>>();
  for (const { report, lines } of reports) {
    for (const line of lines) {
      let set = places.get(line.title);
      if (!set) places.set(line.title, (set = new Set()));
      set.add(placeOf(report, line));
    }
  }
  const servedAs = new Map<string, string>(); // name → place
  const batches = reports.map(({ report, dates, lines }): DataBatch => {
    // A Map, then Object.fromEntries: a title such as "__proto__" stays an ordinary key.
    const data = new Map<string, Record<string, number>>();
    for (const line of lines) {
      const place = placeOf(report, line);
      const ambiguous =
        (places.get(line.title)?.size ?? 0) > 1 || (report === "BalanceSheet" && line.title === NET_INCOME);
      const name = ambiguous ? qualifiedTitle(line) : line.title;
      if (data.has(name) || (servedAs.get(name) ?? place) !== place)
        throw shapeError(`a line of the ${report} report would be served under the name of another line`);
      servedAs.set(name, place);
      data.set(name, Object.fromEntries(dates.map((date, i) => [date, line.amounts[i] ?? 0])));
    }
    return { dates, data: Object.fromEntries(data) };
  });
  return mergeBatches(batches);
}
