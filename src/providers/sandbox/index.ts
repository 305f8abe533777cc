// Sandbox: the built-in demo accounting provider, served by this worker under /sandbox/ in
// development only (docs/sandbox.md). It goes through the same framework path as Xero.
import * as z from "zod/mini";
import type { DataBatch } from "../../framework/data";
import { mergeBatches, ProviderDataError } from "../../framework/data";
import { lazy } from "../../framework/lazy";
import { defineProvider } from "../../framework/provider";
import { COMPANY_HEADER, companyHeaders, grantedCompanies } from "./companies";
import { reportMonths } from "./months";
import { sandboxWebhooks } from "./webhooks";

const report = lazy(() =>
  z.looseObject({
    months: z.array(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/))),
    lines: z.array(z.looseObject({ title: z.string(), values: z.array(z.number()) })),
  }),
);

function toBatch(body: unknown): DataBatch {
  const { months, lines } = report().parse(body);
  if (lines.some((l) => l.values.length !== months.length))
    throw new ProviderDataError("Sandbox", "a report line has more or fewer values than months");
  return {
    dates: months,
    data: Object.fromEntries(lines.map((l) => [l.title, Object.fromEntries(months.map((m, i) => [m, l.values[i]!]))])),
  };
}

export default defineProvider({
  name: "Sandbox",
  // Relative to docs/providers.md, which links it: the sandbox's API is documented in this repository.
  docsUrl: "sandbox.md",
  apiType: "accounting",
  developmentOnly: true,
  oauth: {
    // Paths: this worker's own endpoints, at whatever origin it is served (docs/sandbox.md).
    authorizeUrl: "/sandbox/oauth/authorize",
    tokenUrl: "/sandbox/oauth/token",
    revokeUrl: "/sandbox/oauth/revoke",
    apiBaseUrl: "/sandbox/api",
    scopes: ["accounting.read"],
    clientAuth: "client_secret_basic",
  },
  offlineAccessNote: "The sandbox always returns a refresh token.",
  // Refresh tokens rotate and a reused one revokes the grant: a lost refresh answer means reconnecting.
  refreshRetryAfterTimeout: false,
  // The consent page lets the person tick one or both demo companies; each can become a connection.
  lookupTenants: grantedCompanies,
  // The proxy names the connection's company itself, and refuses a caller's other one.
  proxy: { tenant: { header: COMPANY_HEADER } },
  // Change notifications in Xero's format, sent by the sandbox's "change the books" action.
  webhooks: sandboxWebhooks,
  // 24 months from fromDate, at most 12 per call (the sandbox's limit), merged in request order.
  async getData({ api, tenantId, fromDate }) {
    const headers = companyHeaders({ tenantId });
    const batches = await Promise.all(
      reportMonths(fromDate).map(({ from, to }) => api.get("/v1/reports/monthly", { query: { from, to }, headers })),
    );
    return mergeBatches(batches.map(toBatch));
  },
});
