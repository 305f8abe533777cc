// resolveOAuthApp: a provider's declared OAuth app plus its `<NAME>_*` variables. Every URL and
// the scopes are overridable by variables alone, so a sandbox or a test server plugs in without code.
import { FailureError } from "../failure";
import type { ProviderVariable } from "../names";
import { displayName, type RegisteredProvider } from "../provider";
import { readVar, selfBase } from "../settings";
import type { OAuthApp } from "./types";

export type AppResolution = { configured: true; app: OAuthApp } | { configured: false; missing: string[] };

/**
 * A provider's `<NAME>_<suffix>` variable, trimmed, or undefined when unset or empty. Read by name:
 * `Env` (worker-configuration.d.ts) types only the worker-wide variables, so adding a provider
 * never regenerates it.
 */
export function providerVar(provider: RegisteredProvider, suffix: ProviderVariable, env: Env): string | undefined {
  return readVar(env, `${provider.envPrefix}_${suffix}`);
}

export function resolveOAuthApp(provider: RegisteredProvider, env: Env): AppResolution {
  const v = (suffix: ProviderVariable) => providerVar(provider, suffix, env);
  const clientId = v("CLIENT_ID");
  const clientSecret = v("CLIENT_SECRET");
  if (!clientId || !clientSecret) {
    const missing = [
      !clientId && `${provider.envPrefix}_CLIENT_ID`,
      !clientSecret && `${provider.envPrefix}_CLIENT_SECRET`,
    ];
    return { configured: false, missing: missing.filter((m): m is string => !!m) };
  }
  const defaults = provider.oauth;
  // A development-only provider's path is an endpoint this worker serves itself (the sandbox's),
  // wherever it is served: no setting follows a port change.
  const url = (declared: string) =>
    provider.developmentOnly && declared.startsWith("/") ? selfBase(env) + declared : declared;
  const scopes = v("SCOPES");
  return {
    configured: true,
    app: {
      ...defaults,
      clientId,
      clientSecret,
      authorizeUrl: v("AUTHORIZE_URL") ?? url(defaults.authorizeUrl),
      tokenUrl: v("TOKEN_URL") ?? url(defaults.tokenUrl),
      revokeUrl: v("REVOKE_URL") ?? (defaults.revokeUrl === undefined ? undefined : url(defaults.revokeUrl)),
      apiBaseUrl: (v("API_BASE_URL") ?? url(defaults.apiBaseUrl)).replace(/\/+$/, ""),
      scopes: scopes !== undefined ? scopes.split(/\s+/).filter(Boolean) : defaults.scopes,
      pkce: defaults.pkce !== false,
    },
  };
}

/** The resolved app, or a `provider_not_configured` failure naming the missing variables. */
export function requireApp(provider: RegisteredProvider, env: Env): OAuthApp {
  const resolution = resolveOAuthApp(provider, env);
  if (resolution.configured) return resolution.app;
  throw new FailureError(
    "provider_not_configured",
    `${displayName(provider)} is not configured: set ${resolution.missing.join(" and ")}`,
  );
}
