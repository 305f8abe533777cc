// Shapes shared by the OAuth framework: an app's declared defaults, its resolved configuration,
// and a parsed token response.

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post";

/** What a provider declares about its OAuth app (the `resolveOAuthApp` arguments of Zebbra's original framework). */
export interface OAuthAppDefaults {
  /**
   * Endpoint URLs. A development-only provider may give paths ("/sandbox/oauth/token"): endpoints of
   * this worker itself, resolved against PUBLIC_URL or the origin it is served at (settings.ts selfBase).
   */
  authorizeUrl: string;
  tokenUrl: string;
  /** RFC 7009 revocation endpoint, when the provider has one. */
  revokeUrl?: string;
  /**
   * How the revocation request carries the token: RFC 7009's form (`token`, `token_type_hint`), the
   * default, or a JSON body `{"token": …}` (Intuit). Client authentication is the same either way.
   */
  revokeBody?: "form" | "json";
  /** Base URL of the provider's API, without a trailing slash. */
  apiBaseUrl: string;
  scopes: readonly string[];
  clientAuth: ClientAuthMethod;
  /** PKCE S256 is used unless this is false. */
  pkce?: boolean;
  /** Extra query parameters for the authorize URL. */
  authorizeParams?: Readonly<Record<string, string>>;
  /**
   * Extra headers on every token-endpoint request (code exchange and refresh), for a provider that
   * states more when asked (Intuit: `x-include-refresh-token-hard-expires-in: true`).
   */
  tokenHeaders?: Readonly<Record<string, string>>;
}

/** An app's configuration after `<NAME>_*` variables are applied. */
export interface OAuthApp extends Omit<OAuthAppDefaults, "pkce"> {
  clientId: string;
  clientSecret: string;
  pkce: boolean;
}

/** A successful token endpoint response (RFC 6749 §5.1), normalized. */
export interface TokenResponse {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string | null;
  /** Absolute expiry (epoch ms), or null when the provider gave none. */
  expiresAt: number | null;
  scope: string | null;
  /**
   * When the refresh token stops working however often it is used (epoch ms), when the provider
   * states it (Intuit's `x_refresh_token_hard_expires_in`); null or absent otherwise.
   */
  refreshHardExpiresAt?: number | null;
}

/** The secret part of a connection; only ever stored encrypted. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string | null;
}
