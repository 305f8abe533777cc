// The sandbox's demo company as its API serves it: monthly report lines for any month up to the
// current one, and the employees. Built from data.json (the recorded fixtures, compacted), which is
// loaded on first use so that it costs nothing at startup.
import type { SandboxData, SandboxEmployee, SandboxLine } from "./data-types";

let data: Promise<SandboxData> | undefined;
const load = () => (data ??= import("./data.json").then((m) => m.default as SandboxData));

/** The most months one report call covers, as at Xero. */
export const MAX_REPORT_MONTHS = 12;

export interface MonthlyReport {
  company_id: string;
  currency: string;
  /** Month ends, ascending. */
  months: string[];
  lines: { title: string; report: SandboxLine["report"]; section: string; values: number[] }[];
}

const monthEnd = (year: number, month: number) => new Date(Date.UTC(year, month + 1, 0)).toISOString().slice(0, 10);

/**
 * The report for the months `from` to `to` (`YYYY-MM`, inclusive), cut at the current month: the
 * company has no books for the future. Each value is the recorded one for that calendar month,
 * grown by `growthPerYear` compounded monthly from the recording's year.
 */
export async function monthlyReport(companyId: string, from: string, to: string, now: number): Promise<MonthlyReport> {
  const company = await load();
  const [fromYear, fromMonth] = from.split("-").map(Number) as [number, number];
  const [toYear, toMonth] = to.split("-").map(Number) as [number, number];
  const current = new Date(now);
  const last = Math.min(toYear * 12 + toMonth - 1, current.getUTCFullYear() * 12 + current.getUTCMonth());
  const months: { year: number; month: number }[] = [];
  for (let m = fromYear * 12 + fromMonth - 1; m <= last; m++) months.push({ year: Math.floor(m / 12), month: m % 12 });
  const growth = ({ year, month }: { year: number; month: number }) =>
    (1 + company.growthPerYear) ** (year - company.baseYear + month / 12);
  return {
    company_id: companyId,
    currency: company.company.currency,
    months: months.map((m) => monthEnd(m.year, m.month)),
    lines: company.lines.map((line) => ({
      title: line.title,
      report: line.report,
      section: line.section,
      values: months.map((m) => Math.round(line.byMonth[m.month]! * growth(m) * 100) / 100),
    })),
  };
}

export async function companyInfo(companyId: string): Promise<{ id: string; name: string; currency: string }> {
  const company = await load();
  return { id: companyId, name: company.company.name, currency: company.company.currency };
}

export interface EmployeesPage {
  employees: SandboxEmployee[];
  page: number;
  per_page: number;
  total_pages: number;
}

/**
 * The most employees one page holds, whatever `per_page` asks: like a real API, the sandbox may serve
 * fewer than asked, so that a client must follow `total_pages`, not stop at a short page.
 */
export const LARGEST_EMPLOYEES_PAGE = 10;

/** Page `page` (from 1) of the employees; `per_page` and `total_pages` are those served. */
export async function employeesPage(page: number, perPage: number): Promise<EmployeesPage> {
  const { employees } = await load();
  const served = Math.min(perPage, LARGEST_EMPLOYEES_PAGE);
  return {
    employees: employees.slice((page - 1) * served, page * served),
    page,
    per_page: served,
    total_pages: Math.max(1, Math.ceil(employees.length / served)),
  };
}
