// registerOAuthApp: a provider's declared OAuth app plus its `<NAME>_*` variables. Every URL and
// the scopes are overridable by variables alone, so a sandbox or a test server plugs in without code.
import { readVar } from "../config";
import type { RegisteredProvider } from "../providers/types";
import type { OAuthApp } from "./types";

export type AppResolution = { configured: true; app: OAuthApp } | { configured: false; missing: string[] };

/** The variables a provider reads, suffixes after `<NAME>_`. */
export const PROVIDER_VARIABLES = ["CLIENT_ID", "CLIENT_SECRET", "AUTHORIZE_URL", "TOKEN_URL", "API_BASE_URL", "REVOKE_URL", "SCOPES"] as const;

export function registerOAuthApp(provider: RegisteredProvider, env: Env): AppResolution {
  const v = (suffix: (typeof PROVIDER_VARIABLES)[number]) => readVar(env, `${provider.envPrefix}_${suffix}`);
  const clientId = v("CLIENT_ID");
  const clientSecret = v("CLIENT_SECRET");
  if (!clientId || !clientSecret) {
    const missing = [!clientId && `${provider.envPrefix}_CLIENT_ID`, !clientSecret && `${provider.envPrefix}_CLIENT_SECRET`].filter((m): m is string => !!m);
    return { configured: false, missing };
  }
  const defaults = provider.oauth;
  const scopes = v("SCOPES");
  return {
    configured: true,
    app: {
      ...defaults,
      clientId,
      clientSecret,
      authorizeUrl: v("AUTHORIZE_URL") ?? defaults.authorizeUrl,
      tokenUrl: v("TOKEN_URL") ?? defaults.tokenUrl,
      revokeUrl: v("REVOKE_URL") ?? defaults.revokeUrl,
      apiBaseUrl: (v("API_BASE_URL") ?? defaults.apiBaseUrl).replace(/\/+$/, ""),
      scopes: scopes !== undefined ? scopes.split(/\s+/).filter(Boolean) : defaults.scopes,
      pkce: defaults.pkce !== false,
    },
  };
}
