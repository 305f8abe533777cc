// Bodies of the generic provider's API (/generic/<name>/api/...): the placeholder shapes a scaffolded
// provider's adapter is generated for, and, for the catalogue providers it stands in for, their tenants
// in the real provider's wire shape (ids, tenant lists, where a call names its tenant). Callers get
// fresh copies.
import { randomBytes, randomInt } from "node:crypto";
import type { Ctx } from "./http.ts";
import { uuid } from "./http.ts";
import type { Tenant } from "./types.ts";

/** `GET /data` items: one accounting line value per month end. */
export interface GenericItem {
  title: string;
  date: string;
  value: number | null;
}

/** `GET /employees` rows, shaped like a typical HR API's employee list. */
export interface GenericEmployee {
  id: string;
  first_name: string;
  last_name: string;
  job_title: string | null;
  department: string | null;
  hire_date: string;
  termination_date: string | null;
  /** Gross yearly salary in the company's currency. */
  annual_salary: number;
}

export const genericData = (): { items: GenericItem[] } => ({
  items: [{ title: "Revenue", date: "2024-01-31", value: 100 }],
});

/** Three employees: one current, one leaving on 2024-06-30, one who left on 2023-05-31. */
export const genericEmployees = (): { employees: GenericEmployee[] } => ({
  employees: [
    {
      id: "emp_1001",
      first_name: "Ada",
      last_name: "Lovelace",
      job_title: "Head of Engineering",
      department: "Engineering",
      hire_date: "2021-03-01",
      termination_date: null,
      annual_salary: 150000,
    },
    {
      id: "emp_1002",
      first_name: "Grace",
      last_name: "Hopper",
      job_title: "Payroll Specialist",
      department: null,
      hire_date: "2022-09-15",
      termination_date: "2024-06-30",
      annual_salary: 72000,
    },
    {
      id: "emp_1003",
      first_name: "Alan",
      last_name: "Turing",
      job_title: "Financial Analyst",
      department: "Finance",
      hire_date: "2020-01-06",
      termination_date: "2023-05-31",
      annual_salary: 66500,
    },
  ],
});

const nth = (names: readonly string[], i: number, fallback: string) => names[i] ?? `${fallback} ${i + 1}`;

/** A generic provider's default tenant `i`: for a catalogue provider, an id and name shaped like its own. */
export function genericTenant(name: string, i: number): { id: string; name: string } {
  switch (name) {
    // Sage: 32 hex digits (developer.sage.com, multi_business: "0d40342d0287cd6b13555c54afca6c90").
    case "sage":
      return { id: randomBytes(16).toString("hex"), name: nth(["Business One", "Business Two"], i, "Business") };
    // FreshBooks: a short alphanumeric account id ("ABC123", the identity model page).
    case "freshbooks":
      return {
        id: randomBytes(3).toString("hex").toUpperCase(),
        name: nth(["Awesome Business Inc.", "Leafy Landscaping"], i, "Business"),
      };
    // Zoho Books: a numeric organization id ("10234695").
    case "zohobooks":
      return { id: String(randomInt(100_000_000, 1_000_000_000)), name: nth(["Zillum", "Zylker"], i, "Organization") };
    // MYOB: the company file's GUID.
    case "myob":
      return { id: uuid(), name: `MYOB Shared Sandbox ${21 + i}` };
    default:
      return { id: uuid(), name: "Generic Tenant" };
  }
}

/**
 * What a generic provider's redirect names after consent, when its real one names the tenant there
 * (MYOB: `businessId` and `businessName`); null for one whose tenants come from an API call.
 */
export function namedOnRedirect(name: string): { tenantId: string; params: Record<string, string> } | null {
  if (name !== "myob") return null;
  const file = genericTenant(name, 0);
  return { tenantId: file.id, params: { businessId: file.id, businessName: file.name } };
}

/**
 * The tenant a call names, where the real provider takes it (Sage: `X-Business`; Zoho Books:
 * `organization_id`; FreshBooks: `/accounting/account/<id>/`; MYOB: `/<businessId>/`), and the path
 * under the tenant (MYOB's without its company file). `id` null: the call names none.
 */
export function genericTenantOf(name: string, ctx: Ctx, path: string): { id: string | null; path: string } {
  const header = (h: string) => {
    const v = ctx.req.headers[h];
    return Array.isArray(v) ? v.join(", ") : (v ?? null);
  };
  if (name === "sage") return { id: header("x-business"), path };
  if (name === "zohobooks") return { id: ctx.url.searchParams.get("organization_id"), path };
  if (name === "freshbooks") return { id: /^\/accounting\/account\/([^/]+)/.exec(path)?.[1] ?? null, path };
  if (name === "myob") {
    const file = /^\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/.*)?$/i.exec(path);
    if (file) return { id: file[1] ?? null, path: file[2] ?? "/" };
  }
  return { id: null, path };
}

/**
 * A catalogue provider's list of the grant's tenants, as its real API answers it, when `path` is that
 * list; null otherwise.
 */
export function tenantList(name: string, path: string, tenants: readonly Tenant[]): unknown {
  // Sage: GET /businesses, every business on one page (developer.sage.com, multi_business).
  if (name === "sage" && path === "/businesses")
    return {
      $total: tenants.length,
      $page: 1,
      $next: null,
      $back: null,
      $items_per_page: 2147483647,
      $items: tenants.map((t) => ({ displayed_as: t.name, id: t.id, $path: `/businesses/${t.id}` })),
    };
  // FreshBooks: GET /auth/api/v1/users/me, the identity and its business memberships (me_endpoint).
  if (name === "freshbooks" && path === "/auth/api/v1/users/me")
    return {
      response: {
        id: 2192788,
        first_name: "Leafy",
        last_name: "Green",
        email: "leafy@example.com",
        business_memberships: tenants.map((t, i) => ({
          id: 111 + i,
          role: "owner",
          business: {
            id: 240340 + i,
            business_uuid: uuid(),
            name: t.name,
            account_id: t.id,
            date_format: "dd/mm/yyyy",
            active: true,
          },
        })),
      },
    };
  // Zoho Books: GET /organizations (books/api/v3/organizations).
  if (name === "zohobooks" && path === "/organizations")
    return {
      code: 0,
      message: "success",
      organizations: tenants.map((t, i) => ({
        organization_id: t.id,
        name: t.name,
        contact_name: "John Smith",
        email: "johnsmith@zillum.com",
        is_default_org: i === 0,
        language_code: "en",
        fiscal_year_start_month: 0,
        account_created_date: "2016-02-18",
        time_zone: "PST",
        is_org_active: true,
        currency_code: "USD",
        currency_symbol: "$",
        price_precision: 2,
      })),
    };
  return null;
}
