// Oyster HR (global employment and payroll), in place of Rippling, whose OAuth is documented only by
// third parties. OAuth and proxy only. Sources, all official:
// - each app's own authorization URL, https://app.oysterhr.com/oauth/authorize/<app id> (copy it from the
//   app's page into OYSTERHR_AUTHORIZE_URL: the default below is its documented prefix), the token URL,
//   client_id and client_secret in the form body (client_secret_post), a refresh token in every code
//   exchange, 2-hour access tokens: https://docs.oysterhr.com/docs/partner-guide-to-authorizing-access-to-developer-application,
//   https://docs.oysterhr.com/reference/post_oauth2-token-1
// - scopes are chosen on the app; sandbox host api-sandbox.oysterhr.com:
//   https://docs.oysterhr.com/docs/getting-started-with-oyster-api. PKCE, rotation, revocation: not documented.
// - Tenant: a company admin authorizes the app for their company; the token covers it.
import { defineProvider } from "../../framework/provider";

export default defineProvider({
  name: "OysterHR",
  displayName: "Oyster HR",
  docsUrl: "https://docs.oysterhr.com/reference",
  apiType: null,
  oauth: {
    authorizeUrl: "https://app.oysterhr.com/oauth/authorize",
    tokenUrl: "https://api.oysterhr.com/oauth2/token",
    apiBaseUrl: "https://api.oysterhr.com",
    scopes: [],
    clientAuth: "client_secret_post",
  },
  offlineAccessNote: "Oyster returns a refresh token with every code exchange; it has no offline scope.",
});
