// Gusto: payroll (employees, jobs and compensations) for one company per connection.
import * as z from "zod/mini";
import { ProviderDataError } from "../../framework/data";
import { lazy } from "../../framework/lazy";
import { defineProvider } from "../../framework/provider";
import { normalizeEmployees } from "./employees";
import { gustoWebhooks } from "./webhooks";

/** The page size asked for. Gusto documents no largest `per`: a page may hold fewer (X-Per-Page). */
const PER_PAGE = 100;
/** At most 100 pages (10,000 employees if full): past this a company, or an answer, is not what this adapter serves. */
const MAX_PAGES = 100;

const companyInfo = lazy(() => z.looseObject({ name: z.nullish(z.string()) }));
const tokenInfo = lazy(() => z.looseObject({ resource: z.looseObject({ type: z.string(), uuid: z.string() }) }));

/** X-Total-Pages as a page count, or null when Gusto sends none. */
function totalPagesOf(headers: Headers): number | null {
  const value = headers.get("X-Total-Pages")?.trim();
  if (!value) return null;
  const pages = Number(value);
  if (!Number.isSafeInteger(pages) || pages < 0)
    throw new ProviderDataError("Gusto", "the X-Total-Pages header is not a page count");
  return pages;
}

export default defineProvider({
  name: "Gusto",
  docsUrl: "https://docs.gusto.com/app-integrations/reference",
  apiType: "payroll",
  oauth: {
    authorizeUrl: "https://api.gusto.com/oauth/authorize",
    tokenUrl: "https://api.gusto.com/oauth/token",
    revokeUrl: "https://api.gusto.com/oauth/revoke",
    // Demo environment: GUSTO_*_URL=https://api.gusto-demo.com/...
    apiBaseUrl: "https://api.gusto.com",
    // Gusto grants the scopes configured on the app; none are requested explicitly.
    scopes: [],
    // Gusto expects client_id and client_secret in the form body.
    clientAuth: "client_secret_post",
  },
  offlineAccessNote: "Gusto always returns a refresh token; it has no offline scope.",
  // 2: every page Gusto counts is read (format 1 stopped at the first page shorter than asked for).
  // 3: each row carries the employee's uuid as `id`.
  dataFormat: 3,
  // Gusto: "The previous refresh_token will be revoked on the first usage of the new access_token"
  // (https://docs.gusto.com/app-integrations/v2024-04-01/reference/refresh-access-token), so a lost
  // refresh answer (whose new token was never used) can be retried.
  refreshRetryAfterTimeout: true,
  // Change notifications: a re-fetch of the tenant's cached data (webhooks.ts).
  webhooks: gustoWebhooks,
  // A Gusto token is for one company: token_info names it, the company resource its name.
  // https://docs.gusto.com/app-integrations/reference/get-v1-token-info
  async lookupTenants(api) {
    const info = tokenInfo().parse(await api.get("/v1/token_info"));
    const company = companyInfo().parse(await api.get(`/v1/companies/${encodeURIComponent(info.resource.uuid)}`));
    return [
      {
        tenantId: info.resource.uuid,
        tenantName: company.name ?? null,
        additionalInfo: { resource_type: info.resource.type },
      },
    ];
  },
  // Every employee of the company, terminated ones included. Gusto: the answer may hold fewer than
  // the `per` asked for (X-Per-Page says how many), so the list ends at the page X-Total-Pages names,
  // or, without that header, at an empty page; never at a short one.
  // https://docs.gusto.com/app-integrations/docs/pagination
  async getData({ api, tenantId, fromDate, warn }) {
    if (!tenantId) throw new ProviderDataError("Gusto", "the connection has no company");
    const employees: unknown[] = [];
    for (let page = 1; ; page++) {
      // A hard limit, so a provider that keeps sending pages cannot keep this loop going.
      if (page > MAX_PAGES) throw new ProviderDataError("Gusto", `more than ${MAX_PAGES} pages of employees`);
      const { body, headers } = await api.getWithHeaders(`/v1/companies/${encodeURIComponent(tenantId)}/employees`, {
        query: { page, per: PER_PAGE },
      });
      if (!Array.isArray(body)) throw new ProviderDataError("Gusto", "the employees page is not a list");
      const totalPages = totalPagesOf(headers);
      if (totalPages !== null && totalPages > MAX_PAGES)
        throw new ProviderDataError("Gusto", `${totalPages} pages of employees, more than ${MAX_PAGES}`);
      const rows: unknown[] = body;
      employees.push(...rows);
      // An empty page ends the list even before X-Total-Pages does: pages past it are empty too.
      if (rows.length === 0 || (totalPages !== null && page >= totalPages)) break;
    }
    return normalizeEmployees(employees, fromDate, warn);
  },
});
