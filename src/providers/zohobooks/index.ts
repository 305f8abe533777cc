// Zoho Books: OAuth and proxy only, in the connection's Zoho data centre. Sources, official unless marked:
// - accounts servers per DC: https://www.zoho.com/accounts/protocol/oauth/multi-dc.html; API domains per
//   DC: https://www.bigin.com/developer/docs/apis/multi-dc.html, https://zoho.com/bookings/help/api/v1/domain-specificapiurls.html
// - /oauth/v2/auth with access_type=offline and prompt=consent, /oauth/v2/token with client_id and
//   client_secret as parameters (client_secret_post): https://www.zoho.com/books/api/v3/oauth/
// - refresh tokens do not rotate and do not expire until revoked; at most 20 per user:
//   https://zoho.com/crm/developer/docs/api/v3/token-validity.html (the same accounts server)
// - scope ZohoBooks.fullaccess.all [3rd-party: support.kalkillp.com]; narrow it with ZOHOBOOKS_SCOPES.
//   PKCE is not documented. API root {api domain}/books/v3: https://www.zoho.com/books/api/v3/
// - Tenant: each organization the user belongs to. GET /organizations lists them (organizations[].
//   {organization_id, name}; scope ZohoBooks.settings.READ), and every call names one in the
//   organization_id query parameter: https://www.zoho.com/books/api/v3/introduction/#organization-id,
//   https://www.zoho.com/books/api/v3/organizations/. Zoho's accounts server takes the token as
//   `Zoho-oauthtoken <token>` or `Bearer <token>`: https://www.zoho.com/accounts/protocol/oauth/use-access-token.html
// `dc` is the suffix both hosts share: accounts.zoho.<dc> and www.zohoapis.<dc>. Left out: Canada
// (accounts.zohocloud.ca but www.zohoapis.ca) and the UK (its API domain is not documented).
import * as z from "zod/mini";
import { lazy } from "../../framework/lazy";
import { defineProvider, type TenantInfo } from "../../framework/provider";
import type { ProviderApi } from "../../framework/provider-http";

const DCS = ["com", "eu", "in", "com.au", "jp", "sa", "com.cn"] as const;

const organizationList = lazy(() =>
  z.object({ organizations: z.array(z.looseObject({ organization_id: z.string(), name: z.nullish(z.string()) })) }),
);

/** Every organization the user belongs to; the user picks at confirm when there are several. */
async function organizations(api: ProviderApi): Promise<TenantInfo[]> {
  const listed = organizationList().parse(await api.get("/organizations"));
  return listed.organizations.map((o) => ({ tenantId: o.organization_id, tenantName: o.name ?? null }));
}

export default defineProvider({
  name: "ZohoBooks",
  apiType: null,
  connectionConfig: { dc: { description: "Your Zoho domain: accounts.zoho.<dc>", values: DCS, example: "eu" } },
  oauth: {
    authorizeUrl: "https://accounts.zoho.{dc}/oauth/v2/auth",
    tokenUrl: "https://accounts.zoho.{dc}/oauth/v2/token",
    apiBaseUrl: "https://www.zohoapis.{dc}/books/v3",
    scopes: ["ZohoBooks.fullaccess.all"],
    clientAuth: "client_secret_post",
    authorizeParams: { access_type: "offline", prompt: "consent" },
  },
  offlineAccessNote: "access_type=offline (authorizeParams) asks Zoho for the refresh token; prompt=consent always.",
  lookupTenants: organizations,
  proxy: { tenant: { query: "organization_id" } },
});
