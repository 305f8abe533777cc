// FreshBooks (accounting): OAuth and proxy only. Sources, all official unless marked:
// - authorize URL, token URL, form-body client_secret (client_secret_post), 12-hour access tokens, and
//   refresh tokens that "never expire, but can only be used once", each refresh returning a new one:
//   https://www.freshbooks.com/api/get-authenticated-on-the-freshbooks-api,
//   https://www.freshbooks.com/developers/authentication
// - scopes are chosen on the app (none need to be requested); PKCE and a revocation endpoint are not
//   documented (a revoke URL seen only in a third-party scrape is left out).
// - API base https://api.freshbooks.com [3rd-party: apideck.com]. Tenant: a user may belong to several
//   businesses. GET /auth/api/v1/users/me lists them (response.business_memberships[].business.{account_id,
//   name}), and accounting calls name one by its account id in the path, /accounting/account/<account_id>/...:
//   https://www.freshbooks.com/api/me_endpoint, https://www.freshbooks.com/api/identity_model (scope
//   user:profile:read, ticked on the app). Each business with an account id is a tenant; calls naming no
//   account (users/me; projects and time tracking, by business id) pass the proxy unchecked.
import * as z from "zod/mini";
import { lazy } from "../../framework/lazy";
import { defineProvider, type TenantInfo } from "../../framework/provider";
import type { ProviderApi } from "../../framework/provider-http";

const identity = lazy(() =>
  z.object({
    response: z.object({
      business_memberships: z.array(
        z.looseObject({
          role: z.nullish(z.string()),
          business: z.looseObject({ account_id: z.nullish(z.string()), name: z.nullish(z.string()) }),
        }),
      ),
    }),
  }),
);

/** The user's businesses that have an account (the accounting tenant), with the user's role in each. */
async function businesses(api: ProviderApi): Promise<TenantInfo[]> {
  const { response } = identity().parse(await api.get("/auth/api/v1/users/me"));
  return response.business_memberships.flatMap(({ role, business }) =>
    business.account_id
      ? [{ tenantId: business.account_id, tenantName: business.name ?? null, tenantType: role ?? null }]
      : [],
  );
}

export default defineProvider({
  name: "FreshBooks",
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
  lookupTenants: businesses,
  proxy: { tenant: { path: "accounting/account/{tenant}", prefix: false } },
});
