// Factorial (HR), in place of Personio, whose API has only the client-credentials grant. OAuth and
// proxy only. Sources, all official:
// - authorize URL, resource_owner_type=company (a company-wide token, not tied to one employee's
//   permissions), demo host api.demo.factorial.dev: https://apidoc.factorialhr.com/docs/request-an-authorization-code
// - token URL with client_id and client_secret in the form body (client_secret_post), a refresh token in
//   every answer, 2-hour access tokens: https://apidoc.factorialhr.com/docs/request-an-access-token
// - scopes are chosen on the app; PKCE, rotation and revocation are not documented.
// - Tenant: a company token covers its company, so the host app names none. API paths are versioned,
//   e.g. /api/2025-04-01/resources/employees/employees.
import { defineProvider } from "../../framework/provider";

export default defineProvider({
  name: "Factorial",
  docsUrl: "https://apidoc.factorialhr.com/reference",
  apiType: null,
  oauth: {
    authorizeUrl: "https://api.factorialhr.com/oauth/authorize",
    tokenUrl: "https://api.factorialhr.com/oauth/token",
    apiBaseUrl: "https://api.factorialhr.com",
    scopes: [],
    clientAuth: "client_secret_post",
    authorizeParams: { resource_owner_type: "company" },
  },
  offlineAccessNote: "Factorial always returns a refresh token; it has no offline scope.",
});
