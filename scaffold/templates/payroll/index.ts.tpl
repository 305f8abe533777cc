// {{Name}}: payroll data (one row per employee) for one tenant per connection.
// Scaffolded: every `TODO(scaffold)` marks a placeholder for {{Name}}'s real API. The URLs and scopes
// are defaults; {{PREFIX}}_AUTHORIZE_URL, _TOKEN_URL, _REVOKE_URL, _API_BASE_URL and _SCOPES override them.
import * as z from "zod/mini";
import { defineProvider } from "../../framework/provider";
import { normalize{{Name}} } from "./normalize";

const me = z.looseObject({ id: z.string() });

export default defineProvider({
  name: "{{Name}}",
  apiType: "payroll",
  oauth: {
    authorizeUrl: "https://TODO-{{slug}}.example/oauth/authorize", // TODO(scaffold): {{Name}}'s authorization endpoint
    tokenUrl: "https://TODO-{{slug}}.example/oauth/token", // TODO(scaffold): {{Name}}'s token endpoint
    revokeUrl: "https://TODO-{{slug}}.example/oauth/revoke", // TODO(scaffold): RFC 7009 revocation endpoint, or delete the line
    apiBaseUrl: "https://TODO-{{slug}}.example/api", // TODO(scaffold): {{Name}}'s API base, without a trailing slash
    scopes: [], // TODO(scaffold): the scopes to request, e.g. ["offline_access", "employees.read"]
    clientAuth: "client_secret_basic", // TODO(scaffold): or "client_secret_post" (id and secret in the form body)
  },
  // TODO(scaffold): why no offline_access scope is needed, or add that scope and delete this line
  offlineAccessNote: "The fake provider always returns a refresh token.",
  // The tenants (companies) the grant covers, listed once right after connecting; the user picks at
  // confirm when there are several. Name them, so the user can tell them apart.
  async lookupTenants(api) {
    const { id } = me.parse(await api.get("/me")); // TODO(scaffold): {{Name}}'s current-company endpoint
    return [{ tenantId: id }];
  },
  // TODO(scaffold): if {{Name}}'s API pages its employees, read page after page until the page count
  // it sends (a total-pages header or field), or until an empty page if it sends none, with a cap on
  // the pages, as src/providers/gusto does. Never stop at a page shorter than the size asked for: a
  // server may serve fewer than asked.
  async getData({ api, fromDate }) {
    const body = await api.get("/employees"); // TODO(scaffold): {{Name}}'s employees endpoint
    return normalize{{Name}}(body, fromDate);
  },
});
