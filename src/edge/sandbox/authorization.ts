// The sandbox's OAuth 2.0 authorization server (RFC 6749 code grant with PKCE S256, RFC 7009
// revocation), its state in KV under `sandbox:`. It plays a third party: the worker's own OAuth
// client reaches it over HTTP like any provider. Its registered apps are the development-only
// providers' client settings, so one set of SANDBOX_* variables configures both sides.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { resolveOAuthApp } from "../../framework/oauth/app";
import { displayName } from "../../framework/provider";
import { publicBase } from "../../framework/settings";
import { randomId, sha256Hex } from "../../framework/hash";
import { availableProviders } from "../../providers/registry";

/** Access tokens live two minutes, so the console shows refreshes happening. */
export const ACCESS_TOKEN_SECONDS = 120;
/** A refresh token unused for 30 days expires, like Xero's 60 days but shorter. */
const GRANT_SECONDS = 30 * 24 * 3600;
const CODE_SECONDS = 60; // KV's shortest TTL
const CONSENT_SECONDS = 600;

export const SANDBOX_SCOPES = ["accounting.read", "payroll.read"] as const;
export type SandboxScope = (typeof SANDBOX_SCOPES)[number];

export interface SandboxClient {
  clientId: string;
  clientSecret: string;
  name: string;
  redirectUri: string;
}

/** A validated authorization request, held between the consent page and the user's decision. */
export interface AuthorizationRequest {
  clientId: string;
  clientName: string;
  redirectUri: string;
  state: string | null;
  codeChallenge: string;
  scopes: SandboxScope[];
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: SandboxScope[];
  /** The companies the person ticked on the consent page. */
  companyIds: string[];
  /** Set once the code was exchanged: a second use revokes that grant (RFC 6749 §4.1.2). */
  usedBy?: string;
}

interface Grant {
  clientId: string;
  scopes: SandboxScope[];
  /** The companies ticked at consent, at least one. */
  companyIds: string[];
  /** Hash of the one refresh token that may be used next; any older one is a reuse. */
  refreshHash: string;
}

/** A grant as KV may hold it: one stored before grants covered several companies named one `companyId`. */
type StoredGrant = Omit<Grant, "companyIds"> & { companyIds?: string[]; companyId?: string };

interface TokenRecord {
  grantId: string;
}

export interface IssuedTokens {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** An RFC 6749 §5.2 error; the HTTP layer picks the status. */
export class OAuthProtocolError extends Error {
  constructor(
    readonly error:
      | "invalid_request"
      | "invalid_client"
      | "invalid_grant"
      | "unauthorized_client"
      | "unsupported_grant_type"
      | "invalid_scope",
    readonly description: string,
  ) {
    super(description);
    this.name = "OAuthProtocolError";
  }
}

const key = {
  consent: (id: string) => `sandbox:consent:${id}`,
  code: (code: string) => `sandbox:code:${sha256Hex(code)}`,
  grant: (id: string) => `sandbox:grant:${id}`,
  access: (token: string) => `sandbox:access:${sha256Hex(token)}`,
  refresh: (token: string) => `sandbox:refresh:${sha256Hex(token)}`,
};

/** The apps registered at the sandbox: each configured development-only provider of this worker. */
export function sandboxClients(env: Env, requestUrl: string): SandboxClient[] {
  const base = publicBase(env, requestUrl);
  return availableProviders(env).flatMap((provider) => {
    if (!provider.developmentOnly) return [];
    const resolution = resolveOAuthApp(provider, env);
    if (!resolution.configured) return [];
    return [
      {
        clientId: resolution.app.clientId,
        clientSecret: resolution.app.clientSecret,
        name: displayName(provider),
        redirectUri: `${base}/integration/${provider.slug}/callback`,
      },
    ];
  });
}

/** Parses a space-separated scope list; undefined when any scope is unknown. */
export function parseScopes(scope: string | undefined): SandboxScope[] | undefined {
  const requested = (scope ?? "").split(" ").filter(Boolean);
  if (!requested.every((s): s is SandboxScope => (SANDBOX_SCOPES as readonly string[]).includes(s))) return undefined;
  return [...new Set(requested)];
}

async function take<T>(kv: KVNamespace, name: string): Promise<T | null> {
  const value = await kv.get<T>(name, "json");
  if (value !== null) await kv.delete(name);
  return value;
}

/** Holds a validated request for the consent page; the form carries only this id. */
export async function holdConsent(kv: KVNamespace, request: AuthorizationRequest): Promise<string> {
  const id = randomId();
  await kv.put(key.consent(id), JSON.stringify(request), { expirationTtl: CONSENT_SECONDS });
  return id;
}

/** The held request, once: a second post of the same form finds nothing. */
export function takeConsent(kv: KVNamespace, id: string): Promise<AuthorizationRequest | null> {
  return take<AuthorizationRequest>(kv, key.consent(id));
}

/** An authorization code for an approved request, covering the companies the person ticked (one or more). */
export async function issueCode(kv: KVNamespace, request: AuthorizationRequest, companyIds: string[]): Promise<string> {
  const code = `sbx_code_${randomId()}`;
  const record: CodeRecord = {
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    scopes: request.scopes,
    companyIds,
  };
  await kv.put(key.code(code), JSON.stringify(record), { expirationTtl: CODE_SECONDS });
  return code;
}

function s256(verifier: string): string {
  return encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)));
}

async function issueTokens(kv: KVNamespace, grantId: string, grant: Grant): Promise<IssuedTokens> {
  const accessToken = `sbx_at_${randomId()}`;
  const refreshToken = `sbx_rt_${randomId()}`;
  const record: TokenRecord = { grantId };
  await kv.put(key.access(accessToken), JSON.stringify(record), { expirationTtl: ACCESS_TOKEN_SECONDS });
  await kv.put(key.refresh(refreshToken), JSON.stringify(record), { expirationTtl: GRANT_SECONDS });
  await kv.put(key.grant(grantId), JSON.stringify({ ...grant, refreshHash: sha256Hex(refreshToken) }), {
    expirationTtl: GRANT_SECONDS,
  });
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: ACCESS_TOKEN_SECONDS,
    refresh_token: refreshToken,
    scope: grant.scopes.join(" "),
  };
}

/** The authorization_code grant: one use per code, PKCE S256 required, same client and redirect URI. */
export async function exchangeCode(
  kv: KVNamespace,
  client: SandboxClient,
  params: { code: string; redirectUri: string | undefined; codeVerifier: string | undefined },
): Promise<IssuedTokens> {
  const record = await kv.get<CodeRecord>(key.code(params.code), "json");
  if (!record || record.clientId !== client.clientId)
    throw new OAuthProtocolError("invalid_grant", "The authorization code is invalid or expired");
  if (record.usedBy !== undefined) {
    await kv.delete(key.grant(record.usedBy));
    throw new OAuthProtocolError("invalid_grant", "The authorization code was already used; its grant is revoked");
  }
  if (params.redirectUri !== record.redirectUri)
    throw new OAuthProtocolError("invalid_grant", "redirect_uri differs from the authorization request's");
  if (params.codeVerifier === undefined)
    throw new OAuthProtocolError("invalid_request", "code_verifier is required (PKCE)");
  if (s256(params.codeVerifier) !== record.codeChallenge)
    throw new OAuthProtocolError("invalid_grant", "code_verifier does not match the code_challenge");
  const grantId = randomId();
  await kv.put(key.code(params.code), JSON.stringify({ ...record, usedBy: grantId }), { expirationTtl: CODE_SECONDS });
  return issueTokens(kv, grantId, {
    clientId: client.clientId,
    scopes: record.scopes,
    companyIds: record.companyIds,
    refreshHash: "",
  });
}

/**
 * The refresh_token grant. Refresh tokens rotate: each use returns a new one, and presenting an
 * older one again is treated as theft (RFC 9700 §4.14.2): the whole grant is revoked.
 */
export async function refreshGrant(
  kv: KVNamespace,
  client: SandboxClient,
  params: { refreshToken: string; scope: string | undefined },
): Promise<IssuedTokens> {
  const record = await kv.get<TokenRecord>(key.refresh(params.refreshToken), "json");
  const grant = record && (await kv.get<Grant>(key.grant(record.grantId), "json"));
  if (!record || !grant || grant.clientId !== client.clientId)
    throw new OAuthProtocolError("invalid_grant", "The refresh token is invalid, expired or revoked");
  if (grant.refreshHash !== sha256Hex(params.refreshToken)) {
    await kv.delete(key.grant(record.grantId));
    throw new OAuthProtocolError("invalid_grant", "The refresh token was already used; the grant is revoked");
  }
  let scopes = grant.scopes;
  if (params.scope !== undefined) {
    const narrowed = parseScopes(params.scope);
    if (!narrowed || !narrowed.every((s) => grant.scopes.includes(s)))
      throw new OAuthProtocolError("invalid_scope", "A refresh may only narrow the granted scopes");
    scopes = narrowed;
  }
  return issueTokens(kv, record.grantId, { ...grant, scopes });
}

/** RFC 7009: revokes the grant behind an access or refresh token of this client; unknown tokens are fine. */
export async function revokeToken(kv: KVNamespace, client: SandboxClient, token: string): Promise<void> {
  const record =
    (await kv.get<TokenRecord>(key.refresh(token), "json")) ?? (await kv.get<TokenRecord>(key.access(token), "json"));
  if (!record) return;
  const grant = await kv.get<Grant>(key.grant(record.grantId), "json");
  if (grant && grant.clientId === client.clientId) await kv.delete(key.grant(record.grantId));
}

/** What a valid access token grants: its scopes and companies; null when unknown, expired or revoked. */
export async function introspect(
  kv: KVNamespace,
  accessToken: string,
): Promise<{ scopes: SandboxScope[]; companyIds: string[] } | null> {
  const record = await kv.get<TokenRecord>(key.access(accessToken), "json");
  const grant = record && (await kv.get<StoredGrant>(key.grant(record.grantId), "json"));
  if (!grant) return null;
  const companyIds = grant.companyIds ?? (grant.companyId === undefined ? [] : [grant.companyId]);
  return { scopes: grant.scopes, companyIds };
}
