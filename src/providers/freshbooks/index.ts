// FreshBooks (accounting): OAuth and proxy only. Sources, all official unless marked:
// - authorize URL, token URL, form-body client_secret (client_secret_post), 12-hour access tokens, and
//   refresh tokens that "never expire, but can only be used once", each refresh returning a new one:
//   https://www.freshbooks.com/api/get-authenticated-on-the-freshbooks-api,
//   https://www.freshbooks.com/developers/authentication
// - scopes are chosen on the app (none need to be requested); PKCE and a revocation endpoint are not
//   documented (a revoke URL seen only in a third-party scrape is left out).
// - API base https://api.freshbooks.com [3rd-party: apideck.com]. Tenant: a user may belong to several
//   businesses; the host app names one per call in the path (/accounting/account/<account_id>/...), read
//   from GET /auth/api/v1/users/me (business_memberships) [3rd-party: unified.to].
import type { ProviderDefinition } from "../../framework/provider";

export const freshbooks = {
  displayName: "FreshBooks",
  docsUrl: "https://www.freshbooks.com/api/start",
  apiType: null,
  oauth: {
    authorizeUrl: "https://auth.freshbooks.com/oauth/authorize",
    tokenUrl: "https://api.freshbooks.com/auth/oauth/token",
    apiBaseUrl: "https://api.freshbooks.com",
    scopes: [],
    clientAuth: "client_secret_post",
  },
  offlineAccessNote: "FreshBooks always returns a refresh token; it never expires but works once.",
} satisfies ProviderDefinition;
