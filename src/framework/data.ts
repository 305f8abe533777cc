// What the fetch adapters produce: accounting data as a DataBatch (titles × month ends, Zebbra's original framework's
// shape), payroll data as EmployeeRows, and the error an adapter throws on an unreadable response.
import { FailureError } from "./failure";

/**
 * Accounting values by line title and date. Invariants: `dates` are ISO `YYYY-MM-DD` month ends,
 * ascending and unique; every title has an entry (a number or null) for every date in `dates`.
 */
export type DataBatch = {
  dates: string[];
  data: Record<string, Record<string, number | null>>;
};

/** One payroll row per employee, as the Gusto adapter of Zebbra's original framework returned it. */
export interface EmployeeRow {
  /** The provider's own stable id of the employee (Gusto: `uuid`): follows one person across fetches and tells namesakes apart. */
  id: string;
  name: string;
  /** ISO date: hire date of the employee's earliest job. */
  start_date: string;
  /** ISO date of the latest termination, or null while employed. */
  end_date: string | null;
  title: string;
  /** Empty string when the provider has none. */
  department: string;
  monthly_salary: number;
  from_integration: true;
}

/** A normalized payload as cached and served: accounting → DataBatch, payroll → employee rows. */
export type DataPayload =
  { apiType: "accounting"; batch: DataBatch } | { apiType: "payroll"; employees: EmployeeRow[] };

/** How every stored accounting payload begins: the fetcher stores `{ apiType, batch }`, in that order. */
const ACCOUNTING_PREFIX = '{"apiType":"accounting","batch":';

/**
 * The batch's JSON inside a stored payload's JSON (`JSON.stringify` of an accounting DataPayload), or
 * null for any other payload. The fetcher stores the object `{ apiType, batch }` and nothing else, so
 * what lies between the prefix and the closing brace is the batch, as JSON.stringify wrote it: the
 * same text JSON.parse then JSON.stringify would give back.
 */
export function accountingBatchJson(json: string): string | null {
  if (!json.startsWith(ACCOUNTING_PREFIX) || !json.endsWith("}}")) return null;
  return json.slice(ACCOUNTING_PREFIX.length, -1);
}

/** A provider answered 2xx with a body the adapter cannot read. Its message never quotes amounts or personal data. */
export class ProviderDataError extends FailureError {
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super("provider_data_invalid", `${provider}: ${message}`);
    this.name = "ProviderDataError";
  }
}

/**
 * A provider's report that parses but does not mean what was asked: a column spanning other than one
 * month, sections whose lines do not add up to their total. Caching it would serve wrong books, so the
 * fetch fails and the cached data stays. Its message names the report and the check, never an amount.
 */
export class UnexpectedReportError extends FailureError {
  constructor(
    readonly provider: string,
    message: string,
  ) {
    super("unexpected_report", `${provider}: ${message}`);
    this.name = "UnexpectedReportError";
  }
}

/**
 * Merges batches in request order, as Zebbra's original framework did: the dates are the union of all batches' dates,
 * sorted; each title's values are overlaid batch by batch, so where dates overlap the later batch's
 * entry wins (an explicit null included, as a dict update would); a batch that lacks a title leaves
 * that title's earlier values alone. Any date of the result a title still has no entry for is null;
 * entries for dates outside every batch's `dates` are dropped.
 */
export function mergeBatches(batches: readonly DataBatch[]): DataBatch {
  const dates = new Set<string>();
  // Maps, then Object.fromEntries: a title such as "__proto__" stays an ordinary key.
  const titles = new Map<string, Map<string, number | null>>();
  for (const batch of batches) {
    for (const date of batch.dates) dates.add(date);
    for (const [title, values] of Object.entries(batch.data)) {
      let merged = titles.get(title);
      if (!merged) titles.set(title, (merged = new Map<string, number | null>()));
      for (const [date, value] of Object.entries(values)) merged.set(date, value);
    }
  }
  const sorted = [...dates].sort();
  const data = Object.fromEntries(
    [...titles].map(([title, values]) => [
      title,
      Object.fromEntries(sorted.map((date) => [date, values.get(date) ?? null])),
    ]),
  );
  return { dates: sorted, data };
}
