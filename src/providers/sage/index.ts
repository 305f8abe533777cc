// Sage Business Cloud Accounting (API v3.1): OAuth and proxy only. Sources, official unless marked:
// - authorize URL with filter=apiv3.1, scopes readonly | full_access, the only flow being the
//   authorization code, and the X-Business header: https://developer.sage.com/accounting/guides/authenticating/authentication/
// - token URL, client_id and client_secret in the form body (client_secret_post), a new refresh token on
//   each refresh, API base: Sage's sample Sage/sbca_api_python_sample (config.py, auth.py).
// - access tokens live 5 minutes and refresh tokens 31 days, single use [3rd-party: docs.unified.to
//   sage-accounting-oauth-app, truto.one, maesn.com]; PKCE and revocation are not documented.
// - Tenant: a token is a user's, who may reach several businesses. GET /businesses lists every one
//   ($items[].{id, displayed_as}, all on one page), and each call names its business in X-Business, else
//   Sage answers for the user's lead business: https://developer.sage.com/accounting/guides/concepts/multi_business/,
//   https://developer.sage.com/accounting/guides/concepts/best_practices/. Each business is a tenant.
// Scopes: readonly by default; SAGE_SCOPES=full_access for writes through the proxy.
import * as z from "zod/mini";
import { lazy } from "../../framework/lazy";
import { defineProvider, type TenantInfo } from "../../framework/provider";
import type { ProviderApi } from "../../framework/provider-http";
import { DAY_MS } from "../../framework/durations";

const businessList = lazy(() =>
  z.object({ $items: z.array(z.looseObject({ id: z.string(), displayed_as: z.nullish(z.string()) })) }),
);

/** Every business the user may reach; the user picks at confirm when there are several. */
async function businesses(api: ProviderApi): Promise<TenantInfo[]> {
  const { $items } = businessList().parse(await api.get("/businesses"));
  return $items.map((b) => ({ tenantId: b.id, tenantName: b.displayed_as ?? null }));
}

export default defineProvider({
  name: "Sage",
  displayName: "Sage Business Cloud Accounting",
  docsUrl: "https://developer.sage.com/accounting/reference/",
  apiType: null,
  oauth: {
    authorizeUrl: "https://www.sageone.com/oauth2/auth/central?filter=apiv3.1",
    tokenUrl: "https://oauth.accounting.sage.com/token",
    apiBaseUrl: "https://api.accounting.sage.com/v3.1",
    scopes: ["readonly"],
    clientAuth: "client_secret_post",
  },
  offlineAccessNote: "Sage always returns a refresh token (with refresh_token_expires_in).",
  // Sage: refresh tokens expire after 31 days unused [3rd-party]; refresh well before.
  keepAliveAfterMs: 20 * DAY_MS,
  lookupTenants: businesses,
  proxy: { tenant: { header: "X-Business" } },
});
