// Gusto: payroll (employees, jobs and compensations) for one company per connection.
import * as z from "zod/mini";
import { ProviderDataError } from "../../framework/data";
import { lazy } from "../../framework/lazy";
import type { ProviderDefinition } from "../../framework/provider";
import { normalizeEmployees } from "./employees";

/** Gusto's largest page. */
const PER_PAGE = 100;
/** At most 10,000 employees: past this a company (or an answer) is not what this adapter serves. */
const MAX_PAGES = 100;

const tokenInfo = lazy(() => z.looseObject({ resource: z.looseObject({ type: z.string(), uuid: z.string() }) }));

export const gusto = {
  displayName: "Gusto",
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
  // Gusto: the old refresh token is revoked only when the new access token is first used, so a lost
  // refresh answer can be retried. https://docs.gusto.com/embedded-payroll/v2022-11-01/reference/refresh-access-token
  refreshRetryAfterTimeout: true,
  async lookupTenant(api) {
    const info = tokenInfo().parse(await api.get("/v1/token_info"));
    return { tenantId: info.resource.uuid, additionalInfo: { resource_type: info.resource.type } };
  },
  // Every employee of the company, terminated ones included, page by page until the last one.
  async getData({ api, tenantId, fromDate, warn }) {
    if (!tenantId) throw new ProviderDataError("Gusto", "the connection has no company");
    const employees: unknown[] = [];
    for (let page = 1; ; page++) {
      // A hard limit, so a provider that keeps sending full pages cannot keep this loop going.
      if (page > MAX_PAGES) throw new ProviderDataError("Gusto", `more than ${MAX_PAGES} pages of employees`);
      const { body, headers } = await api.getWithHeaders(`/v1/companies/${encodeURIComponent(tenantId)}/employees`, {
        query: { page, per: PER_PAGE },
      });
      if (!Array.isArray(body)) throw new ProviderDataError("Gusto", "the employees page is not a list");
      const totalPages = Number(headers.get("X-Total-Pages"));
      if (totalPages > MAX_PAGES)
        throw new ProviderDataError("Gusto", `${totalPages} pages of employees, more than ${MAX_PAGES}`);
      const rows: unknown[] = body;
      employees.push(...rows);
      // The last page: a short one, or the one Gusto's X-Total-Pages names.
      if (rows.length < PER_PAGE || (totalPages > 0 && page >= totalPages)) break;
    }
    return normalizeEmployees(employees, fromDate, warn);
  },
} satisfies ProviderDefinition;
