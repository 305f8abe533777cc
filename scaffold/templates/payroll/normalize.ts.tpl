// {{Name}}'s data logic, without I/O: the API's employee list becomes payroll rows.
// Generated for the placeholder shape the test suite's fake serves (test/fake/generic.ts).
import * as z from "zod/mini";
import { type EmployeeRow, ProviderDataError } from "../../framework/data";
import { parseIsoDate } from "../../framework/dates";

const isoDate = z.string().check(z.refine((text) => parseIsoDate(text) !== null, "expected a YYYY-MM-DD date"));

// TODO(scaffold): the shape of {{Name}}'s real response.
const response = z.object({
  employees: z.array(
    z.object({
      id: z.string(),
      first_name: z.string(),
      last_name: z.string(),
      job_title: z.nullish(z.string()),
      department: z.nullish(z.string()),
      hire_date: isoDate,
      termination_date: z.nullish(isoDate),
      annual_salary: z.number().check(z.nonnegative()),
    }),
  ),
});

/**
 * ─── {{Name}}-specific normalization: rewrite this for {{Name}}'s real response. ───
 * One row per employee, skipping those who left before `fromDate`; the monthly salary is the yearly
 * one divided by 12, rounded down. Throws ProviderDataError when the body is not in the expected
 * shape (the message names fields, never names or amounts), RangeError for a bad `fromDate`.
 */
export function normalize{{Name}}(body: unknown, fromDate: string): EmployeeRow[] {
  const from = parseIsoDate(fromDate);
  if (!from) throw new RangeError(`fromDate is not a valid YYYY-MM-DD date: "${fromDate}"`);
  const parsed = response.safeParse(body);
  if (!parsed.success) throw new ProviderDataError("{{Name}}", `unexpected response: ${z.prettifyError(parsed.error)}`);
  return parsed.data.employees
    .filter((e) => !e.termination_date || e.termination_date >= from)
    .map(
      (e): EmployeeRow => ({
        id: e.id, // TODO(scaffold): {{Name}}'s stable employee id
        name: `${e.first_name} ${e.last_name}`,
        start_date: e.hire_date,
        end_date: e.termination_date ?? null,
        title: e.job_title ?? "",
        department: e.department ?? "",
        monthly_salary: Math.floor(e.annual_salary / 12),
        from_integration: true,
      }),
    );
}
