// Gusto's data logic, without I/O: the employees list (`GET v1/companies/{uuid}/employees`)
// becomes payroll rows by the rules of Zebbra's original framework.
import * as z from "zod/mini";
import { type EmployeeRow, ProviderDataError } from "../../framework/data";
import { parseIsoDate } from "../../framework/dates";
import { lazy } from "../../framework/lazy";

const schemas = lazy(() => {
  const isoDate = z.string().check(z.refine((text) => parseIsoDate(text) !== null, "expected a YYYY-MM-DD date"));
  // Gusto sends amounts as decimal strings ("22.00").
  const decimal = z.union([
    z.number(),
    z.pipe(z.string().check(z.regex(/^[+-]?\d+(?:\.\d+)?$/, "expected a decimal amount")), z.transform(Number)),
  ]);
  const compensation = z.object({
    id: z.optional(z.number()),
    uuid: z.optional(z.string()),
    payment_unit: z.string(),
    rate: decimal,
  });
  const job = z.object({
    title: z.nullish(z.string()),
    hire_date: isoDate,
    primary: z.nullish(z.boolean()),
    current_compensation_id: z.nullish(z.number()),
    current_compensation_uuid: z.nullish(z.string()),
    compensations: z.nullish(z.array(compensation)),
  });
  const employee = z.object({
    uuid: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    department: z.nullish(z.string()),
    current_employment_status: z.nullish(z.string()),
    terminated: z.nullish(z.boolean()),
    jobs: z.nullish(z.array(job)),
    terminations: z.nullish(z.array(z.object({ effective_date: isoDate }))),
  });
  return { job, compensation, employees: z.array(employee) };
});

type Job = z.infer<ReturnType<typeof schemas>["job"]>;
type Compensation = z.infer<ReturnType<typeof schemas>["compensation"]>;

/** Weekly hours Zebbra's original framework assumed for an hourly wage, by `current_employment_status`. */
function weeklyHours(status: string | null | undefined): number {
  if (status === "part_time_twenty_plus_hours") return 30;
  if (status === "part_time_under_twenty_hours") return 20;
  return 40;
}

/** The monthly salary of Zebbra's original framework for a compensation, or null for a payment unit it did not know. */
function monthlySalary(rate: number, unit: string, status: string | null | undefined): number | null {
  switch (unit) {
    case "Year":
      return Math.floor(rate / 12);
    case "Month":
      return Math.floor(rate);
    case "Week":
      return Math.floor(rate * 4.33);
    case "Hour":
      // Zebbra's original framework floors before × 4.33, not after, so hourly salaries keep their fraction.
      return Math.floor(rate * weeklyHours(status)) * 4.33;
    default:
      return null;
  }
}

/**
 * The job with the latest hire date. Tie-break: a `primary` job wins, otherwise the first listed
 * (Gusto's order), so the choice is stable across syncs.
 */
function mostRecentJob(jobs: [Job, ...Job[]]): Job {
  return jobs.reduce((best, candidate) => {
    if (candidate.hire_date !== best.hire_date) return candidate.hire_date > best.hire_date ? candidate : best;
    return candidate.primary === true && best.primary !== true ? candidate : best;
  });
}

function currentCompensation(job: Job): Compensation | undefined {
  const compensations = job.compensations ?? [];
  // Matched by id as Zebbra's original framework did; by uuid only when the job carries no id (newer Gusto API versions drop ids).
  if (job.current_compensation_id != null) return compensations.find((c) => c.id === job.current_compensation_id);
  if (job.current_compensation_uuid != null) return compensations.find((c) => c.uuid === job.current_compensation_uuid);
  return undefined;
}

/**
 * Turns Gusto's employees list into payroll rows by the rules of Zebbra's original framework: employees without jobs, a
 * terminated one without terminations or terminated before `fromDate`, and one without a current
 * compensation are skipped; so is one paid in an unknown unit, reported through `warn` with the
 * employee's uuid and the unit only (never a name or an amount).
 * Throws ProviderDataError when the body is not an employees list, RangeError for a bad `fromDate`.
 */
export function normalizeEmployees(employees: unknown, fromDate: string, warn: (msg: string) => void): EmployeeRow[] {
  const from = parseIsoDate(fromDate);
  if (!from) throw new RangeError(`fromDate is not a valid YYYY-MM-DD date: "${fromDate}"`);
  const parsed = schemas().employees.safeParse(employees);
  if (!parsed.success)
    throw new ProviderDataError("Gusto", `unexpected employees list: ${z.prettifyError(parsed.error)}`);

  const rows: EmployeeRow[] = [];
  for (const person of parsed.data) {
    const [first, ...others] = person.jobs ?? [];
    if (!first) continue;
    const jobs: [Job, ...Job[]] = [first, ...others];
    const recent = mostRecentJob(jobs);

    let endDate: string | null = null;
    if (person.terminated) {
      const terminations = (person.terminations ?? []).map((t) => t.effective_date).sort();
      endDate = terminations.at(-1) ?? null;
      if (endDate === null || endDate < from) continue;
    }

    const pay = currentCompensation(recent);
    if (!pay) continue;
    const salary = monthlySalary(pay.rate, pay.payment_unit, person.current_employment_status);
    if (salary === null) {
      warn(`Gusto employee ${person.uuid} skipped: unsupported compensation payment_unit "${pay.payment_unit}"`);
      continue;
    }

    rows.push({
      id: person.uuid,
      name: `${person.first_name} ${person.last_name}`,
      start_date: jobs.map((j) => j.hire_date).sort()[0] ?? recent.hire_date,
      end_date: endDate,
      title: recent.title ?? "",
      department: person.department ?? "",
      monthly_salary: salary,
      from_integration: true,
    });
  }
  return rows;
}
