// Xero: accounting (Profit & Loss and Balance Sheet reports) for one organisation per connection.
import * as z from "zod/mini";
import { mergeBatches, ProviderDataError } from "../../framework/data";
import { lazy } from "../../framework/lazy";
import { defineProvider } from "../../framework/provider";
import { batchPeriods, readReport, reportRequests, xeroRange } from "./report";
import { DAY_MS } from "../../framework/durations";
import { xeroWebhooks } from "./webhooks";

// Xero's connections: one entry per organisation (or practice) the user ticked at consent, `id` being
// the connection that DELETE /connections/{id} removes.
// https://developer.xero.com/documentation/guides/oauth2/auth-flow/#5-check-the-tenants-youre-authorized-to-access
// https://developer.xero.com/documentation/guides/oauth2/tenants/
const connections = lazy(() =>
  z.array(
    z.looseObject({
      id: z.optional(z.string()),
      tenantId: z.string(),
      tenantType: z.string(),
      tenantName: z.nullish(z.string()),
    }),
  ),
);
const connectionId = lazy(() => z.object({ connectionId: z.string().check(z.regex(/^[0-9a-fA-F-]{1,64}$/)) }));

export default defineProvider({
  name: "Xero",
  docsUrl: "https://developer.xero.com/documentation/api/accounting/reports",
  apiType: "accounting",
  oauth: {
    authorizeUrl: "https://login.xero.com/identity/connect/authorize",
    tokenUrl: "https://identity.xero.com/connect/token",
    revokeUrl: "https://identity.xero.com/connect/revocation",
    apiBaseUrl: "https://api.xero.com",
    // Apps created after 2 March 2026 must ask for granular scopes; older apps may set
    // XERO_SCOPES="offline_access accounting.reports.read".
    scopes: ["offline_access", "accounting.reports.profitandloss.read", "accounting.reports.balancesheet.read"],
    clientAuth: "client_secret_basic",
  },
  // Xero: "If, for whatever reason, you don't receive the response you can retry refreshing your
  // existing refresh token for a grace period of 30 minutes" (https://developer.xero.com/faq/oauth2,
  // "What is the expiration for a refresh token?"): exactly the case of a lost answer.
  refreshRetryAfterTimeout: true,
  // Xero: "Unused refresh tokens expire after 60 days" (same FAQ); refresh at half that.
  keepAliveAfterMs: 30 * DAY_MS,
  // A consent may cover several organisations (the user ticks them) and a practice: each organisation
  // can become a connection, chosen by the user at confirm; a practice has no books to read.
  async lookupTenants(api) {
    const tenants = connections().parse(await api.get("/connections"));
    if (!tenants.some((t) => t.tenantType === "ORGANISATION"))
      throw new ProviderDataError("Xero", "the grant covers no organisation; connect again and pick an organisation");
    return tenants.map((t) => ({
      tenantId: t.tenantId,
      tenantName: t.tenantName ?? null,
      tenantType: t.tenantType,
      readable: t.tenantType === "ORGANISATION",
      additionalInfo: t.id === undefined ? {} : { connectionId: t.id },
    }));
  },
  // One organisation leaves a grant the others still use: Xero removes that connection alone.
  // https://developer.xero.com/documentation/guides/oauth2/auth-flow/#removing-connections
  async removeTenant(api, tenant) {
    const parsed = connectionId().safeParse(tenant.additionalInfo);
    if (!parsed.success) throw new ProviderDataError("Xero", "the connection id of this organisation is unknown");
    await api.delete(`/connections/${parsed.data.connectionId}`);
  },
  // 2: P&L columns are single months (format 1 cached Zebbra's original framework's rolling sums).
  dataFormat: 2,
  // Xero: per tenant at most 5 calls in flight and 60 a minute.
  rateLimit: { concurrent: 5, perMinute: 60 },
  // Every Xero API call names the organisation it is for.
  proxy: { tenant: { header: "Xero-Tenant-Id" } },
  // Change notifications: a re-fetch of the tenant's cached data (webhooks.ts).
  webhooks: xeroWebhooks,
  // The 12-month batch rule: 24 months from fromDate, in periods of at most 12 months, each read as a
  // Profit & Loss of one-month columns and a Balance Sheet (report.ts says what the columns mean);
  // merged in request order, the later batch winning on overlap.
  async getData({ api, tenantId, fromDate }) {
    if (!tenantId) throw new ProviderDataError("Xero", "the connection has no organisation; connect again");
    const { from, to } = xeroRange(fromDate);
    const requests = batchPeriods(from, to).flatMap(reportRequests);
    const reports = await Promise.all(
      requests.map((r) =>
        // Xero answers XML unless JSON is asked for.
        api.get(`/api.xro/2.0/Reports/${r.report}`, {
          query: r.params,
          headers: { "Xero-Tenant-Id": tenantId, Accept: "application/json" },
        }),
      ),
    );
    return mergeBatches(reports.map((body, i) => readReport(requests[i]!, body)));
  },
});
