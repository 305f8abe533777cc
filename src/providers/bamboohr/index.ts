// BambooHR (HR): OAuth and proxy only, on the company's own subdomain. Sources, official unless marked:
// - {companyDomain}.bamboohr.com: https://documentation.bamboohr.com/docs/getting-started
// - authorize.php, token.php?request=token, client_id and client_secret in the form body
//   (client_secret_post), API base /api/v1: BambooHR/bhr-api-python (AUTHENTICATION.md, bamboohr_client.py)
// - scopes come from the app's catalog (https://documentation.bamboohr.com/reference/scopes); a refresh
//   token needs offline_access [3rd-party: nango.dev, openlm.com]; a refresh "may" rotate it (SDK).
//   Add the app's data scopes with BAMBOOHR_SCOPES. PKCE and revocation are not documented.
// - Tenant: the subdomain, known before consent (connection config); the token covers that company.
import { defineProvider } from "../../framework/provider";

// A DNS label, as in <subdomain>.bamboohr.com.
const SUBDOMAIN = /[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?/;

export default defineProvider({
  name: "BambooHR",
  docsUrl: "https://documentation.bamboohr.com/reference",
  apiType: null,
  connectionConfig: { subdomain: { description: "Your BambooHR subdomain", pattern: SUBDOMAIN, example: "acme" } },
  oauth: {
    authorizeUrl: "https://{subdomain}.bamboohr.com/authorize.php",
    tokenUrl: "https://{subdomain}.bamboohr.com/token.php?request=token",
    apiBaseUrl: "https://{subdomain}.bamboohr.com/api/v1",
    scopes: ["offline_access"],
    clientAuth: "client_secret_post",
  },
});
