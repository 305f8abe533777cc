// QuickBooks Online (Intuit): accounting (Profit & Loss and Balance Sheet by month) for one company
// (realm) per connection. Endpoints: https://developer.intuit.com/.well-known/openid-sandbox-configuration
// and Intuit's SDK (intuit/oauth-jsclient src/OAuthClient.js); reports:
// https://developer.intuit.com/app/developer/qbo/docs/workflows/run-reports
import * as z from "zod/mini";
import { ProviderDataError } from "../../framework/data";
import { FailureError } from "../../framework/failure";
import { lazy } from "../../framework/lazy";
import { defineProvider, type TenantInfo } from "../../framework/provider";
import { type ProviderApi, ProviderApiError } from "../../framework/provider-http";
import { quickBooksBatch, readQuickBooksReport, reportPeriods, reportRange, reportRequests } from "./report";
import { DAY_MS } from "../../framework/durations";
import { quickbooksWebhooks } from "./webhooks";

// Intuit documents no format; every realm id seen is a decimal string (Nango checks 10–19 digits).
const REALM_ID = /^\d{1,20}$/;

const companyInfo = lazy(() => z.object({ CompanyInfo: z.looseObject({ CompanyName: z.nullish(z.string()) }) }));

/**
 * The realm the redirect named, read with the new token: the redirect's query is the user's to edit,
 * and only the company the grant covers answers. Intuit's CompanyInfo entity, read as
 * GET /v3/company/<realmId>/companyinfo/<realmId>, carries its CompanyName:
 * https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo
 */
async function verifiedCompany(api: ProviderApi, tenant: TenantInfo): Promise<TenantInfo> {
  let body: unknown;
  try {
    body = await api.get(`/v3/company/${tenant.tenantId}/companyinfo/${tenant.tenantId}`);
  } catch (err) {
    // A refusal (Intuit: 401 or 403 for a realm the token does not cover) means the redirect named
    // another company; anything else (429, 5xx, the network) is the provider failing, not the caller.
    const refused = err instanceof ProviderApiError && err.status !== null && err.status < 500 && err.status !== 429;
    if (refused)
      throw new FailureError("invalid_request", "QuickBooks Online did not confirm the company the redirect named");
    throw err;
  }
  return { ...tenant, tenantName: companyInfo().parse(body).CompanyInfo.CompanyName ?? null };
}

export default defineProvider({
  name: "QuickBooks",
  displayName: "QuickBooks Online",
  docsUrl: "https://developer.intuit.com/app/developer/qbo/docs/workflows/run-reports",
  apiType: "accounting",
  oauth: {
    authorizeUrl: "https://appcenter.intuit.com/connect/oauth2",
    tokenUrl: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    revokeUrl: "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
    // Sandbox companies: QUICKBOOKS_API_BASE_URL=https://sandbox-quickbooks.api.intuit.com
    apiBaseUrl: "https://quickbooks.api.intuit.com",
    scopes: ["com.intuit.quickbooks.accounting"],
    clientAuth: "client_secret_basic",
    // Intuit advertises no code_challenge_methods and its SDKs never send PKCE.
    pkce: false,
    // Intuit: the token in a JSON body, not RFC 7009's form (its SDKs' revoke()).
    revokeBody: "json",
    // Intuit caps every refresh token at five years from consent (policy of 12 November 2025,
    // https://blogs.a.intuit.com/2025/11/12/important-changes-to-refresh-token-policy); asked with this
    // header, the token endpoint says how long is left, as `x_refresh_token_hard_expires_in` (seconds).
    // Header and field as Intuit's own client sends and reads them: intuit/oauth-jsclient 4.2.4
    // (CHANGELOG.md, src/OAuthClient.js _tokenRequestHeaders).
    tokenHeaders: { "x-include-refresh-token-hard-expires-in": "true" },
  },
  offlineAccessNote: "Intuit always returns a refresh token; it has no offline scope.",
  // Intuit: the previous refresh token stays valid for 24 hours after a rotation (oauth-jsclient
  // README, "Refresh access_token"), so a refresh whose answer was lost may be sent again.
  refreshRetryAfterTimeout: true,
  // Intuit: refresh tokens live 100 days, extended by each use
  // (https://blogs.intuit.com/2024/06/03/oauth-token-management-done-the-right-way/), up to the
  // five-year cap above, which no use extends: the cron warns 30 days before it (connection.expiring).
  keepAliveAfterMs: 50 * DAY_MS,
  // Intuit names the company the user picked in the redirect, not through an API call.
  tenantFromCallback(query) {
    const realms = query.getAll("realmId");
    const realmId = realms.length === 1 ? realms[0]! : "";
    return REALM_ID.test(realmId) ? { tenantId: realmId } : null;
  },
  verifyTenant: verifiedCompany,
  // 2: parents' own postings, every same-named account and the monthly Net Income are served (format 1
  // dropped the first two and let the Balance Sheet's year to date replace the third).
  dataFormat: 2,
  // Intuit: per realm 500 requests a minute and at most 10 in flight (429 beyond either).
  // https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles
  rateLimit: { concurrent: 10, perMinute: 500 },
  // Every QuickBooks resource lives under the company: the proxy's `query`, `companyinfo/<id>`, … go
  // there, and a path naming another company there is refused.
  proxy: { tenant: { path: "v3/company/{tenant}", prefix: true } },
  // Change notifications: a re-fetch of the tenant's cached data (webhooks.ts).
  webhooks: quickbooksWebhooks,
  // 24 months from fromDate in periods of at most six months (Intuit's advice), each read as a
  // Profit & Loss and a Balance Sheet by month; every line of every report is served (report.ts):
  // parents' own postings from their Headers, a title found in more than one place of the fetch
  // qualified by its section path, and "Net Income" the P&L's month (the Balance Sheet's year to
  // date is "LIABILITIES AND EQUITY / Equity / Net Income"). A section that does not add up fails
  // the fetch (UnexpectedReportError), so nothing is cached.
  async getData({ api, tenantId, fromDate }) {
    if (!tenantId || !REALM_ID.test(tenantId))
      throw new ProviderDataError("QuickBooks", "the connection has no company; connect again");
    const { from, to } = reportRange(fromDate);
    const requests = reportPeriods(from, to).flatMap(reportRequests);
    const bodies = await Promise.all(
      // QuickBooks answers XML unless JSON is asked for.
      requests.map((r) =>
        api.get(`/v3/company/${tenantId}/reports/${r.report}`, {
          query: r.params,
          headers: { Accept: "application/json" },
        }),
      ),
    );
    return quickBooksBatch(requests.map((r, i) => readQuickBooksReport(r.report, bodies[i])));
  },
});
