// Sage Business Cloud Accounting (API v3.1): OAuth and proxy only. Sources, official unless marked:
// - authorize URL with filter=apiv3.1, scopes readonly | full_access, the only flow being the
//   authorization code, and the X-Business header: https://developer.sage.com/accounting/guides/authenticating/authentication/
// - token URL, client_id and client_secret in the form body (client_secret_post), a new refresh token on
//   each refresh, API base: Sage's sample Sage/sbca_api_python_sample (config.py, auth.py).
// - access tokens live 5 minutes and refresh tokens 31 days, single use [3rd-party: docs.unified.to
//   sage-accounting-oauth-app, truto.one, maesn.com]; PKCE and revocation are not documented.
// - Tenant: a token is a user's, who may reach several businesses (GET /businesses); the host app picks
//   one per call with the X-Business header, else Sage answers for the user's lead business.
// Scopes: readonly by default; SAGE_SCOPES=full_access for writes through the proxy.
import type { ProviderDefinition } from "../../framework/provider";

export const sage = {
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
  keepAliveAfterMs: 20 * 24 * 3600_000,
  proxy: { callerHeaders: ["X-Business"] },
} satisfies ProviderDefinition;
