// Xero's data logic, without I/O: which report requests cover a date range (the 12-month batch
// rule of Zebbra's original framework), how a Profit & Loss or Balance Sheet response becomes a
// DataBatch, and the checks that its columns mean the months asked for.
//
// What Xero's columns mean (https://developer.xero.com/documentation/api/accounting/reports, and
// XeroAPI/Xero-OpenAPI xero_accounting.yaml, getReportProfitAndLoss / getReportBalanceSheet):
// - Profit & Loss: the first column sums `fromDate`..`toDate`; each of the `periods` comparison
//   columns ("the number of periods to compare") covers the same span moved back one `timeframe`
//   step ("the period size to compare to"), labelled by its end date. So monthly figures need a
//   one-month span: a 12-month span with periods=11 gives twelve rolling 12-month sums, the defect of
//   Zebbra's original framework (XeroAPI/xero-php-oauth2#250, waynerobinson/xeroizer#506).
// - Balance Sheet: a balance at `date` and at each of `periods` month ends before it.
import * as z from "zod/mini";
import { type DataBatch, ProviderDataError, UnexpectedReportError } from "../../framework/data";
import {
  addMonths,
  type DateInput,
  latest31DayMonthEnd,
  monthEnd,
  monthsBetween,
  parseDate,
  toIsoDate,
} from "../../framework/dates";
import { lazy } from "../../framework/lazy";

/** A reporting period: ISO dates, both month ends, at most 12 months apart. */
export interface ReportPeriod {
  start: string;
  end: string;
}

/** The Xero reports the adapter reads: `GET api.xro/2.0/Reports/{report}`. */
export type XeroReportName = "ProfitAndLoss" | "BalanceSheet";

/** One report request: its name (the URL segment) and query parameters. */
export interface ReportRequest {
  report: XeroReportName;
  params: Record<string, string>;
}

/** The range Zebbra's original framework fetched for a `from_date`: to = last day of the month of (from + 23 months). */
export function xeroRange(fromDate: DateInput): { from: string; to: string } {
  return { from: toIsoDate(fromDate), to: monthEnd(addMonths(fromDate, 23)) };
}

/**
 * Splits `fromDate`..`toDate` into the 12-month batch rule's periods. A period starts at the
 * last day of the latest 31-day month not after its nominal start and ends at the last day of the
 * month 11 months later, capped at the end of `toDate`'s month; the next one starts the month after.
 * Empty when `toDate`'s month is before `fromDate`'s.
 */
export function batchPeriods(fromDate: DateInput, toDate: DateInput): ReportPeriod[] {
  const last = monthEnd(toDate);
  const periods: ReportPeriod[] = [];
  // ISO strings compare like dates; `nominal <= last` means "nominal's month is not after toDate's".
  for (let nominal = toIsoDate(fromDate); nominal <= last;) {
    const start = latest31DayMonthEnd(nominal);
    const full = monthEnd(addMonths(start, 11));
    const end = full < last ? full : last;
    periods.push({ start, end });
    nominal = addMonths(end, 1);
  }
  return periods;
}

/** Month ends, newest first: `end`'s month and the `count - 1` before it. */
function monthEndsBack(end: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => monthEnd(addMonths(end, -i)));
}

/**
 * The two requests for a period, in the order their batches are merged:
 * - Profit & Loss over the period's end month alone, compared with each earlier month of the period
 *   (`periods` = its months minus one, left out for a one-month period: Xero takes 1 to 12), so
 *   every column is one calendar month;
 * - the Balance Sheet at the period's end and the 11 month ends before it, as Zebbra's original
 *   framework asked (a balance per month end is what a balance sheet column is).
 */
export function reportRequests(period: ReportPeriod): [ReportRequest, ReportRequest] {
  const comparisons = monthsBetween(period.start, period.end);
  const compare: Record<string, string> = comparisons > 0 ? { periods: String(comparisons), timeframe: "MONTH" } : {};
  return [
    {
      report: "ProfitAndLoss",
      params: { fromDate: addMonths(period.end, 0), toDate: period.end, ...compare, standardLayout: "true" },
    },
    { report: "BalanceSheet", params: { date: period.end, periods: "11", timeframe: "MONTH", standardLayout: "true" } },
  ];
}

const reportResponse = lazy(() => {
  const cells = z.array(z.object({ Value: z.optional(z.union([z.string(), z.number(), z.null()])) }));
  return z.object({
    Reports: z
      .array(
        z.object({
          ReportTitles: z.optional(z.array(z.string())),
          Rows: z.array(
            z.object({
              RowType: z.string(),
              Cells: z.optional(cells),
              Rows: z.optional(z.array(z.object({ RowType: z.string(), Cells: z.optional(cells) }))),
            }),
          ),
        }),
      )
      .check(z.minLength(1)),
  });
});

type CellValue = string | number | null | undefined;

// Plain or with thousands separators; no exponents, hex or "Infinity".
const DECIMAL = /^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$/;

/** A report cell as a number: "" and anything non-numeric become null. */
function toNumber(value: CellValue): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const text = value.trim();
  return DECIMAL.test(text) ? Number(text.replaceAll(",", "")) : null;
}

function shapeError(message: string): ProviderDataError {
  return new ProviderDataError("Xero", `unexpected report shape: ${message}`);
}

/**
 * Reads a Xero report response (`{ Reports: [{ Rows }] }`) into a DataBatch. The first row is the
 * header, whose non-empty cells are the column dates (`31 Mar 22` or `31 May 2022`); every other
 * row is a Section whose `Row` and `SummaryRow` entries give a title (first cell) and one value per
 * column. Throws ProviderDataError when the body does not have that shape.
 */
export function parseReport(json: unknown): DataBatch {
  const parsed = reportResponse().safeParse(json);
  if (!parsed.success) throw shapeError(z.prettifyError(parsed.error));
  const [header, ...sections] = parsed.data.Reports[0]?.Rows ?? [];
  if (header?.RowType !== "Header" || !header.Cells) throw shapeError("the first row is not a Header row with cells");

  const columns: { index: number; date: string }[] = [];
  for (const [index, { Value }] of header.Cells.entries()) {
    if (Value === undefined || Value === null || Value === "") continue;
    const date = typeof Value === "string" ? parseDate(Value) : null;
    if (!date) throw shapeError(`header cell ${index} is not a date: ${JSON.stringify(Value)}`);
    if (columns.some((column) => column.date === date)) throw shapeError(`header repeats the date ${date}`);
    columns.push({ index, date });
  }
  columns.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));

  const titles = new Map<string, Record<string, number | null>>();
  for (const [sectionIndex, section] of sections.entries()) {
    if (section.RowType !== "Section") continue;
    for (const [lineIndex, line] of (section.Rows ?? []).entries()) {
      if (line.RowType !== "Row" && line.RowType !== "SummaryRow") continue;
      const title = line.Cells?.[0]?.Value;
      if (typeof title !== "string")
        throw shapeError(`row ${lineIndex} of section ${sectionIndex + 1} has no title cell`);
      // A title appears once per report: if Xero repeats one, the first occurrence is kept.
      if (titles.has(title)) continue;
      const values = line.Cells ?? [];
      // Object.fromEntries keeps a title or date such as "__proto__" an ordinary key.
      titles.set(title, Object.fromEntries(columns.map(({ index, date }) => [date, toNumber(values[index]?.Value)])));
    }
  }
  return { dates: columns.map((column) => column.date), data: Object.fromEntries(titles) };
}

const SPAN = /^(.+) to (.+)$/;

function mismatch(request: ReportRequest, message: string): UnexpectedReportError {
  return new UnexpectedReportError("Xero", `the ${request.report} report ${message}`);
}

/**
 * Reads the answer to `request` and checks, at no extra cost, that it means what was asked: its
 * columns are exactly the month ends asked for, and a Profit & Loss states a span (its third title
 * line, "1 March 2022 to 31 March 2022") of exactly the requested month, checked first as the likelier fault. Throws UnexpectedReportError
 * otherwise, so rolling sums or a wrong month are never cached as monthly figures.
 */
export function readReport(request: ReportRequest, json: unknown): DataBatch {
  const batch = parseReport(json);
  const { params } = request;
  const end = request.report === "ProfitAndLoss" ? params.toDate : params.date;
  if (!end) throw new Error(`${request.report} request without an end date`);
  if (request.report === "ProfitAndLoss") {
    const titles = reportResponse().parse(json).Reports[0]?.ReportTitles ?? [];
    const span = titles.map((title) => SPAN.exec(title.trim())).find((match) => match !== null);
    const [from, to] = span ? [parseDate(span[1] ?? ""), parseDate(span[2] ?? "")] : [null, null];
    if (!from || !to) throw mismatch(request, "does not state the span its first column covers");
    if (from !== params.fromDate || to !== params.toDate)
      throw mismatch(request, `columns span ${from} to ${to}, not one month (${params.fromDate} to ${params.toDate})`);
  }
  const expected = monthEndsBack(end, Number(params.periods ?? "0") + 1).reverse();
  if (batch.dates.join() !== expected.join())
    throw mismatch(request, `has columns ${batch.dates.join(", ")}, not the month ends ${expected.join(", ")}`);
  return batch;
}
