// SandboxPayroll: the built-in demo payroll provider, the same sandbox as Sandbox (its employees
// API, with the payroll.read scope, and the same companies), in development only (docs/sandbox.md).
import * as z from "zod/mini";
import type { EmployeeRow } from "../../framework/data";
import { ProviderDataError } from "../../framework/data";
import { lazy } from "../../framework/lazy";
import { defineProvider } from "../../framework/provider";

/** The sandbox names a call's company in this header (docs/sandbox.md), as Xero does in Xero-Tenant-Id. */
const COMPANY_HEADER = "Sandbox-Company-Id";

const grantCompanies = lazy(() =>
  z.looseObject({ companies: z.array(z.looseObject({ id: z.string(), name: z.string() })) }),
);

/** At most 40 pages: the demo company fills two, so more means a broken answer. */
const MAX_PAGES = 40;

const employeesPage = lazy(() =>
  z.looseObject({
    total_pages: z.number(),
    employees: z.array(
      z.looseObject({
        id: z.string(),
        first_name: z.string(),
        last_name: z.string(),
        job_title: z.string(),
        department: z.string(),
        hire_date: z.string(),
        termination_date: z.nullable(z.string()),
        pay: z.object({
          rate: z.number(),
          unit: z.enum(["Year", "Month", "Week", "Hour"]),
          hours_per_week: z.number(),
        }),
      }),
    ),
  }),
);

type Pay = z.output<ReturnType<typeof employeesPage>>["employees"][number]["pay"];

/** A month's pay: 52 weeks over 12 months, hours at the employee's weekly hours. */
function monthly({ rate, unit, hours_per_week }: Pay): number {
  const perMonth = { Year: rate / 12, Month: rate, Week: (rate * 52) / 12, Hour: (rate * hours_per_week * 52) / 12 };
  return Math.round(perMonth[unit] * 100) / 100;
}

export default defineProvider({
  name: "SandboxPayroll",
  displayName: "Sandbox payroll",
  docsUrl: "sandbox.md",
  apiType: "payroll",
  developmentOnly: true,
  oauth: {
    authorizeUrl: "/sandbox/oauth/authorize",
    tokenUrl: "/sandbox/oauth/token",
    revokeUrl: "/sandbox/oauth/revoke",
    apiBaseUrl: "/sandbox/api",
    scopes: ["payroll.read"],
    clientAuth: "client_secret_post",
  },
  offlineAccessNote: "The sandbox always returns a refresh token.",
  // 2: each row carries the employee's id.
  dataFormat: 2,
  // The companies the person ticked at the sandbox's consent.
  async lookupTenants(api) {
    const { companies } = grantCompanies().parse(await api.get("/v1/companies"));
    return companies.map((k) => ({ tenantId: k.id, tenantName: k.name }));
  },
  // The proxy names the connection's company itself, and refuses a caller's other one.
  proxy: { tenant: { header: COMPANY_HEADER } },
  async getData({ api, tenantId }): Promise<EmployeeRow[]> {
    const headers: Record<string, string> = tenantId ? { [COMPANY_HEADER]: tenantId } : {};
    const rows: EmployeeRow[] = [];
    for (let page = 1; ; page++) {
      if (page > MAX_PAGES) throw new ProviderDataError("SandboxPayroll", `more than ${MAX_PAGES} pages of employees`);
      const body = employeesPage().parse(await api.get("/v1/employees", { query: { page, per_page: 25 }, headers }));
      for (const e of body.employees)
        rows.push({
          id: e.id,
          name: `${e.first_name} ${e.last_name}`,
          start_date: e.hire_date,
          end_date: e.termination_date,
          title: e.job_title,
          department: e.department,
          monthly_salary: monthly(e.pay),
          from_integration: true,
        });
      // The sandbox serves at most 10 a page, whatever `per_page` asks: its page count ends the list, not a short page.
      if (page >= body.total_pages) return rows;
    }
  },
});
