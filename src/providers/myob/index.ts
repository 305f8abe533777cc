// MYOB Business (AccountRight) API: OAuth and proxy only. Sources, official unless marked:
// - authorize URL, granular sme-* scopes, prompt=consent: https://developer.myob.com/api/myob-business-api/api-overview/granular_data_scopes
// - token URL (POST .../oauth2/v1/authorize) with client_id and client_secret in the form
//   (client_secret_post), both an access and a refresh token returned, codes living 2-5 minutes:
//   https://developer.myob.com/api/accountright/api-overview/authentication
// - Tenant: the company file the admin consented to, named only on the redirect, as businessId (its
//   GUID) and businessName (for keys made after 12 March 2025; prompt=consent guarantees them):
//   https://apisupport.myob.com/hc/en-us/articles/12861196770447. Calls go to /accountright/<businessId>/....
// - headers x-myobapi-key (the client id) and x-myobapi-version v2 [3rd-party: uptick/pymyob
//   constants.py, Nango]. Token lifetimes, rotation, PKCE and revocation are not documented.
// Scopes: sme-company-file only; add the sme-* scopes the host app needs with MYOB_SCOPES.
import { defineProvider, type ProxyContext, type TenantInfo } from "../../framework/provider";

const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;

/** The company file the redirect names; null (the callback refused) unless it names exactly one GUID. */
function companyFile(query: URLSearchParams): TenantInfo | null {
  const ids = query.getAll("businessId");
  const id = ids.length === 1 ? ids[0]! : "";
  if (!new RegExp(`^${GUID.source}$`).test(id)) return null;
  return { tenantId: id, tenantName: query.get("businessName") || null };
}

// MYOB: every call carries the app's API key and the API version.
const apiHeaders = ({ clientId }: ProxyContext) => ({ "x-myobapi-key": clientId, "x-myobapi-version": "v2" });

export default defineProvider({
  name: "MYOB",
  docsUrl: "https://developer.myob.com/api/myob-business-api/api-overview/",
  apiType: null,
  oauth: {
    authorizeUrl: "https://secure.myob.com/oauth2/account/authorize",
    tokenUrl: "https://secure.myob.com/oauth2/v1/authorize",
    apiBaseUrl: "https://api.myob.com/accountright",
    scopes: ["sme-company-file"],
    clientAuth: "client_secret_post",
    authorizeParams: { prompt: "consent" },
  },
  offlineAccessNote: "MYOB returns a refresh token with every code exchange; it has no offline scope.",
  tenantFromCallback: companyFile,
  proxy: { headers: apiHeaders, tenant: { path: "{tenant}", prefix: true, id: GUID } },
});
