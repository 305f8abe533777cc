// Deel (HR and payroll): OAuth and proxy only. Sources, all official:
// - authorize URL, space-separated scopes, sandbox host demo.deel.com: https://developer.deel.com/docs/getting-started-1
// - token URL with HTTP Basic client authentication (client_secret_basic): https://developer.deel.com/changelog/v1-27
// - access tokens live 30 days, refresh tokens 90 days and are single use (reuse may revoke the whole
//   grant; Deel advises refreshing every ~25 days): https://developer.deel.com/docs/token-rotation
// - API base: https://developer.deel.com/docs/api-tokens-1. PKCE and revocation are not documented.
// - Tenant: an Organization app's token covers its organization, so the host app names none
//   (GET /rest/integrations/consent shows which: https://developer.deel.com/api/reference/endpoints/integrations/get-integration-consent-v-2026-01-01.md).
import { defineProvider } from "../../framework/provider";
import { DAY_MS } from "../../framework/durations";

export default defineProvider({
  name: "Deel",
  docsUrl: "https://developer.deel.com/api/oauth",
  apiType: null,
  oauth: {
    authorizeUrl: "https://app.deel.com/oauth2/authorize",
    tokenUrl: "https://app.deel.com/oauth2/tokens",
    apiBaseUrl: "https://api.letsdeel.com/rest/v2",
    scopes: ["contracts:read", "organizations:read"],
    clientAuth: "client_secret_basic",
  },
  offlineAccessNote: "Deel always returns a refresh token (single use, 90 days).",
  // Deel: refresh tokens expire after 90 days; refresh well before.
  keepAliveAfterMs: 25 * DAY_MS,
});
