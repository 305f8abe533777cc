// The IntegrationOAuth steps of Zebbra's original framework, as functions over a provider and its resolved app: the
// authorize URL, the code exchange with the provider's tenant lookup (storeOAuthToken's first half),
// the refresh (performTokenRefresh) and the revocation. Storing is the workspace object's job.
import type { RegisteredProvider, TenantInfo } from "../provider";
import { createProviderApi } from "../provider-http";
import { createOAuthClient } from "./client";
import type { OAuthApp, TokenResponse, TokenSet } from "./types";

/** The authorize URL to send the user to; `codeVerifier` is null when the app does not use PKCE. */
export function authorizationUrl(app: OAuthApp, redirectUri: string, state: string, codeVerifier: string | null): URL {
  return createOAuthClient(app, { redirectUri }).authorizationUrl(state, codeVerifier);
}

export interface Authorized {
  tokens: TokenResponse;
  /** Every tenant the grant covers; one entry with id '' for a provider without tenants. */
  tenants: TenantInfo[];
}

/**
 * Exchanges an authorization code, then asks the provider which tenants the grant covers, unless the
 * callback already named one (`grant.tenant`, from `tenantFromCallback`, which the provider's
 * `verifyTenant` then checks against the grant). Throws TokenEndpointError when the exchange fails;
 * whatever `lookupTenants` or `verifyTenant` throws when that fails, after revoking the new grant
 * (best effort): nothing will hold it.
 */
export async function exchangeCode(
  provider: RegisteredProvider,
  app: OAuthApp,
  grant: { code: string; codeVerifier: string | null; redirectUri: string; tenant?: TenantInfo | undefined },
): Promise<Authorized> {
  const tokens = await createOAuthClient(app, { redirectUri: grant.redirectUri }).exchangeCode(
    grant.code,
    grant.codeVerifier,
  );
  const api = createProviderApi(app.apiBaseUrl, tokens.accessToken);
  try {
    if (grant.tenant) {
      const tenant = provider.verifyTenant ? await provider.verifyTenant(api, grant.tenant) : grant.tenant;
      return { tokens, tenants: [tenant] };
    }
    const tenants = provider.lookupTenants ? await provider.lookupTenants(api, tokens) : [{ tenantId: "" }];
    return { tokens, tenants };
  } catch (err) {
    const refreshToken = tokens.refreshToken;
    await revokeGrant(app, { accessToken: tokens.accessToken, refreshToken, tokenType: tokens.tokenType }).catch(
      () => undefined,
    );
    throw err;
  }
}

/** The standard refresh grant (RFC 6749 §6), unless the provider declares its own. */
export function refreshGrant(
  provider: RegisteredProvider,
  app: OAuthApp,
  refreshToken: string,
  timeoutMs?: number,
): Promise<TokenResponse> {
  const client = createOAuthClient(app, { redirectUri: "", timeoutMs });
  return provider.performTokenRefresh
    ? provider.performTokenRefresh(client, app, refreshToken)
    : client.refresh(refreshToken);
}

/**
 * Revokes the grant (RFC 7009). The refresh token is sent when there is one, since revoking it ends
 * the whole grant (§2.1). Resolves false when the app has no revocation endpoint.
 */
export async function revokeGrant(app: OAuthApp, tokens: TokenSet): Promise<boolean> {
  if (!app.revokeUrl) return false;
  const { refreshToken, accessToken } = tokens;
  await createOAuthClient(app, { redirectUri: "" }).revoke(
    refreshToken ?? accessToken,
    refreshToken ? "refresh_token" : "access_token",
  );
  return true;
}
