// Zoho Books: OAuth and proxy only, in the connection's Zoho data centre. Sources, official unless marked:
// - accounts servers per DC: https://www.zoho.com/accounts/protocol/oauth/multi-dc.html; API domains per
//   DC: https://www.bigin.com/developer/docs/apis/multi-dc.html, https://zoho.com/bookings/help/api/v1/domain-specificapiurls.html
// - /oauth/v2/auth with access_type=offline and prompt=consent, /oauth/v2/token with client_id and
//   client_secret as parameters (client_secret_post): https://www.zoho.com/books/api/v3/oauth/
// - refresh tokens do not rotate and do not expire until revoked; at most 20 per user:
//   https://zoho.com/crm/developer/docs/api/v3/token-validity.html (the same accounts server)
// - scope ZohoBooks.fullaccess.all [3rd-party: support.kalkillp.com]; narrow it with ZOHOBOOKS_SCOPES.
//   PKCE is not documented. API root {api domain}/books/v3: https://www.zoho.com/books/api/v3/
// - Tenant: organization_id, a query parameter on every call (GET /organizations lists them), given by
//   the host app. Zoho documents `Authorization: Zoho-oauthtoken <token>` for API calls.
// `dc` is the suffix both hosts share: accounts.zoho.<dc> and www.zohoapis.<dc>. Left out: Canada
// (accounts.zohocloud.ca but www.zohoapis.ca) and the UK (its API domain is not documented).
import type { ProviderDefinition } from "../../framework/provider";

const DCS = ["com", "eu", "in", "com.au", "jp", "sa", "com.cn"] as const;

export const zohoBooks = {
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
} satisfies ProviderDefinition;
