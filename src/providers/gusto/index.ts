// Gusto: payroll (employees, jobs and compensations) for one company per connection.
import * as z from "zod/mini";
import { ProviderDataError } from "../../framework/data";
import { lazy } from "../../framework/lazy";
import type { ProviderDefinition } from "../../framework/provider";
import { normalizeEmployees } from "./employees";

/** Gusto's largest page. */
const PER_PAGE = 100;

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
  async lookupTenant(api) {
    const info = tokenInfo().parse(await api.get("/v1/token_info"));
    return { tenantId: info.resource.uuid, additionalInfo: { resource_type: info.resource.type } };
  },
  // Every employee of the company, terminated ones included, page by page until a short page.
  async getData({ api, tenantId, fromDate, warn }) {
    if (!tenantId) throw new ProviderDataError("Gusto", "the connection has no company");
    const employees: unknown[] = [];
    for (let pageNumber = 1; ; pageNumber++) {
      const body = await api.get(`/v1/companies/${encodeURIComponent(tenantId)}/employees`, {
        query: { page: pageNumber, per: PER_PAGE },
      });
      if (!Array.isArray(body)) throw new ProviderDataError("Gusto", "the employees page is not a list");
      const page: unknown[] = body;
      employees.push(...page);
      if (page.length < PER_PAGE) break;
    }
    return normalizeEmployees(employees, fromDate, warn);
  },
} satisfies ProviderDefinition;
