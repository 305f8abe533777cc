// Xero's data logic, without I/O: which report requests cover a date range (the seed's batch
// periods) and how a Profit & Loss or Balance Sheet response becomes a DataBatch.
import * as z from "zod/mini";
import { type DataBatch, ProviderDataError } from "../../framework/data";
import { addMonths, type DateInput, latest31DayMonthEnd, monthEnd, parseDate, toIsoDate } from "../../framework/dates";
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

/** The range the seed fetched for a `from_date`: to = last day of the month of (from + 23 months). */
export function xeroRange(fromDate: DateInput): { from: string; to: string } {
  return { from: toIsoDate(fromDate), to: monthEnd(addMonths(fromDate, 23)) };
}

/**
 * Splits `fromDate`..`toDate` into the seed's periods of at most 12 months. A period starts at the
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

const MONTHLY_COMPARISON = { periods: "11", timeframe: "MONTH", standardLayout: "true" } as const;

/**
 * The two requests for a period, in the order their batches are merged: Profit & Loss over the
 * period, then the Balance Sheet at its end. Xero answers each with up to 12 monthly columns ending
 * at the period's end month, newest first.
 */
export function reportRequests(period: ReportPeriod): [ReportRequest, ReportRequest] {
  return [
    { report: "ProfitAndLoss", params: { fromDate: period.start, toDate: period.end, ...MONTHLY_COMPARISON } },
    { report: "BalanceSheet", params: { date: period.end, ...MONTHLY_COMPARISON } },
  ];
}

const reportResponse = lazy(() => {
  const cells = z.array(z.object({ Value: z.optional(z.union([z.string(), z.number(), z.null()])) }));
  return z.object({
    Reports: z
      .array(
        z.object({
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
