// {{Name}}'s data logic, without I/O: the API's response becomes a DataBatch (titles × month ends).
// Generated for the placeholder shape the test suite's fake serves (test/fake/generic.ts).
// A DataBatch value is one calendar month's figure. Before mapping a report, read in {{Name}}'s docs
// what each column spans: a column over several months (a year to date, a rolling twelve months, as
// Xero's comparison columns are for a long span) is not a month; ask for one-month columns instead
// (docs/adapters.md, "What a column means").
import * as z from "zod/mini";
import { type DataBatch, mergeBatches, ProviderDataError } from "../../framework/data";
import { monthEnd, parseIsoDate } from "../../framework/dates";

const isoDate = z.string().check(z.refine((text) => parseIsoDate(text) !== null, "expected a YYYY-MM-DD date"));

// TODO(scaffold): the shape of {{Name}}'s real response.
const response = z.object({
  items: z.array(z.object({ title: z.string().check(z.minLength(1)), date: isoDate, value: z.nullable(z.number()) })),
});

/**
 * ─── {{Name}}-specific normalization: rewrite this for {{Name}}'s real response. ───
 * One title per line item, each value (that month's amount) under its month's last day, from
 * `fromDate`'s month on. Throws ProviderDataError when the body is not in the expected shape or names
 * a title twice in one month (which amount is the month's cannot be told, and neither may be dropped
 * silently); the message names fields, never amounts. RangeError for a bad `fromDate`.
 */
export function normalize{{Name}}(body: unknown, fromDate: string): DataBatch {
  const from = parseIsoDate(fromDate);
  if (!from) throw new RangeError(`fromDate is not a valid YYYY-MM-DD date: "${fromDate}"`);
  const parsed = response.safeParse(body);
  if (!parsed.success) throw new ProviderDataError("{{Name}}", `unexpected response: ${z.prettifyError(parsed.error)}`);
  const firstMonth = monthEnd(from);
  const seen = new Set<string>();
  const batches = parsed.data.items
    .map((item) => ({ ...item, month: monthEnd(item.date) }))
    .filter((item) => item.month >= firstMonth)
    .map((item) => {
      const key = JSON.stringify([item.title, item.month]);
      if (seen.has(key)) throw new ProviderDataError("{{Name}}", `a title repeats in the month ending ${item.month}`);
      seen.add(key);
      return item;
    })
    // A computed key never sets a prototype, so a title such as "__proto__" stays a plain key.
    .map((item): DataBatch => ({ dates: [item.month], data: { [item.title]: { [item.month]: item.value } } }));
  return mergeBatches(batches);
}
