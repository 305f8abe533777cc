// The sandbox's demo companies as its API serves them: monthly report lines for any month up to the
// current one, and the employees. Built from data.json (the recorded fixtures, compacted, and the
// companies that scale and shift them), which is loaded on first use so that it costs nothing at startup.
import type { SandboxCompany, SandboxData, SandboxEmployee, SandboxLine } from "./data-types";

let data: Promise<SandboxData> | undefined;
const load = () => (data ??= import("./data.json").then((m) => m.default as SandboxData));

/** The most months one report call covers, as at Xero. */
export const MAX_REPORT_MONTHS = 12;

/** A company as the API names it. */
export interface CompanyInfo {
  id: string;
  name: string;
  currency: string;
}

export interface MonthlyReport {
  company_id: string;
  currency: string;
  /** Month ends, ascending. */
  months: string[];
  lines: { title: string; report: SandboxLine["report"]; section: string; values: number[] }[];
}

const monthEnd = (year: number, month: number) => new Date(Date.UTC(year, month + 1, 0)).toISOString().slice(0, 10);

const infoOf = (c: SandboxCompany): CompanyInfo => ({ id: c.id, name: c.name, currency: c.currency });

/** Every demo company, the one a consent ticks first. */
export async function sandboxCompanies(): Promise<CompanyInfo[]> {
  return (await load()).companies.map(infoOf);
}

async function company(companyId: string): Promise<{ data: SandboxData; company: SandboxCompany }> {
  const loaded = await load();
  const found = loaded.companies.find((c) => c.id === companyId);
  // The routes serve only a grant's companies, and a grant holds only ids the consent offered.
  if (!found) throw new Error(`unknown sandbox company ${companyId}`);
  return { data: loaded, company: found };
}

export async function companyInfo(companyId: string): Promise<CompanyInfo> {
  return infoOf((await company(companyId)).company);
}

/**
 * The company's report for the months `from` to `to` (`YYYY-MM`, inclusive), cut at the current
 * month: it has no books for the future. Each value is the recorded one for that calendar month
 * (shifted by the company's `monthShift`) times its `scale`, grown by `growthPerYear` compounded
 * monthly from the recording's year.
 */
export async function monthlyReport(companyId: string, from: string, to: string, now: number): Promise<MonthlyReport> {
  const { data: books, company: c } = await company(companyId);
  const [fromYear, fromMonth] = from.split("-").map(Number) as [number, number];
  const [toYear, toMonth] = to.split("-").map(Number) as [number, number];
  const current = new Date(now);
  const last = Math.min(toYear * 12 + toMonth - 1, current.getUTCFullYear() * 12 + current.getUTCMonth());
  const months: { year: number; month: number }[] = [];
  for (let m = fromYear * 12 + fromMonth - 1; m <= last; m++) months.push({ year: Math.floor(m / 12), month: m % 12 });
  const growth = ({ year, month }: { year: number; month: number }) =>
    (1 + books.growthPerYear) ** (year - books.baseYear + month / 12);
  return {
    company_id: c.id,
    currency: c.currency,
    months: months.map((m) => monthEnd(m.year, m.month)),
    lines: books.lines.map((line) => ({
      title: line.title,
      report: line.report,
      section: line.section,
      values: months.map(
        (m) => Math.round(line.byMonth[(m.month + c.monthShift) % 12]! * c.scale * growth(m) * 100) / 100,
      ),
    })),
  };
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

/**
 * Page `page` (from 1) of the company's employees (the first company's when none is named);
 * `per_page` and `total_pages` are those served.
 */
export async function employeesPage(page: number, perPage: number, companyId?: string): Promise<EmployeesPage> {
  const loaded = await load();
  const { company: c } = await company(companyId ?? loaded.companies[0]!.id);
  const employees = loaded.employees.filter((e) => c.employeeIds.includes(e.id));
  const served = Math.min(perPage, LARGEST_EMPLOYEES_PAGE);
  return {
    employees: employees.slice((page - 1) * served, page * served),
    page,
    per_page: served,
    total_pages: Math.max(1, Math.ceil(employees.length / served)),
  };
}
