// QuickBooks Online's data logic, without I/O: which report requests cover the seed's 24 months
// and how a Profit & Loss or Balance Sheet response summarized by month becomes a DataBatch.
import * as z from "zod/mini";
import { type DataBatch, ProviderDataError } from "../../framework/data";
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

/** The seed's 24 months from a cache date: its month's first day to the last day of the month 23 months on. */
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
  Rows?: { Row?: Row[] | undefined } | undefined;
  Summary?: { ColData: Cells } | undefined;
}

const reportResponse = lazy(() => {
  const cells = z.array(z.object({ value: z.optional(z.string()) }));
  const nameValues = z.optional(z.array(z.object({ Name: z.string(), Value: z.optional(z.string()) })));
  const row: z.ZodMiniType<Row> = z.object({
    type: z.optional(z.enum(["Section", "Data"])),
    ColData: z.optional(cells),
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

/**
 * Reads a QuickBooks report summarized by month (`{ Header, Columns, Rows }`) into a DataBatch.
 * Month columns (MetaData EndDate, else a "Jan 2024" title) give the dates; the account column and
 * the Total column are skipped. Every Data row and every Section's Summary, at any depth, gives a
 * title (its first cell) and one value per month column; an empty or missing cell is 0, and the
 * first of a repeated title is kept. A report with NoReportData or without rows has no titles.
 * Throws ProviderDataError, never quoting amounts or account names, when the body has another shape.
 */
export function parseQuickBooksReport(json: unknown): DataBatch {
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
  if (noData || top.length === 0) return { dates, data: {} };
  if (columns.length === 0) throw shapeError("the report has rows but no month columns (not summarized by Month?)");

  const titles = new Map<string, Record<string, number>>();
  const read = (cells: Cells, where: string): void => {
    const title = cells[0]?.value;
    if (!title) throw shapeError(`${where} has no title in its first cell`);
    // A title appears once per report: when QuickBooks repeats one, the first occurrence is kept.
    if (titles.has(title)) return;
    const values = columns.map(({ index, date }): [string, number] => {
      const text = cells[index]?.value?.trim() ?? "";
      if (text === "") return [date, 0];
      if (!DECIMAL.test(text)) throw shapeError(`${where}, column ${index} is not an amount`);
      return [date, Number(text.replaceAll(",", ""))];
    });
    // Object.fromEntries keeps a title such as "__proto__" an ordinary key.
    titles.set(title, Object.fromEntries(values));
  };
  const walk = (rows: Row[], path: string): void => {
    for (const [i, row] of rows.entries()) {
      const where = `${path}[${i}]`;
      if (row.type === "Data" || (row.type === undefined && row.ColData)) {
        if (!row.ColData) throw shapeError(`Data row ${where} has no ColData`);
        read(row.ColData, `row ${where}`);
        continue;
      }
      walk(row.Rows?.Row ?? [], `${where}.Rows.Row`);
      if (row.Summary) read(row.Summary.ColData, `the Summary of ${where}`);
    }
  };
  walk(top, "Rows.Row");
  return { dates, data: Object.fromEntries(titles) };
}
