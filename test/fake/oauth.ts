// The OAuth 2.0 authorization server part: authorize (RFC 6749 §4.1 + PKCE, RFC 7636), the token
// endpoint (authorization_code and refresh_token with rotation and reuse detection) and revocation
// (RFC 7009). Client authentication follows each provider's registered method.
import { namedOnRedirect } from "./generic.ts";
import { formOf, json, jsonOf, oauthError, randomToken, realmId, runScripted, s256 } from "./http.ts";
import type { Ctx, Reply } from "./http.ts";
import { CODE_TTL_MS, clientFor, createGrant, revokeGrant, rotate, tokenResponse, xeroConsent } from "./store.ts";
import type { Client, Grant, RefreshLogEntry, State } from "./store.ts";
import type { ProviderKey, ScriptedResponse } from "./types.ts";

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function redirectTo(redirectUri: string, params: Record<string, string>): Reply {
  const sep = redirectUri.includes("?") ? "&" : "?";
  return {
    status: 302,
    headers: { Location: `${redirectUri}${sep}${new URLSearchParams(params).toString()}`, "Cache-Control": "no-store" },
  };
}

/** GET authorize: validates the request and answers as a user who consents at once. */
export function authorize(state: State, ctx: Ctx, provider: ProviderKey): Reply {
  const q = ctx.url.searchParams;
  const client = clientFor(provider);
  const clientId = q.get("client_id");
  if (!clientId) return oauthError(400, "invalid_request", "client_id is required");
  if (clientId !== client.clientId) return oauthError(400, "invalid_client", `unknown client_id ${clientId}`);
  const redirectUri = q.get("redirect_uri");
  if (!redirectUri) return oauthError(400, "invalid_request", "redirect_uri is required");
  if (!URL.canParse(redirectUri) || !/^https?:$/.test(new URL(redirectUri).protocol)) {
    return oauthError(400, "invalid_request", "redirect_uri must be an absolute http(s) URL");
  }
  const st = q.get("state");
  if (!st) return oauthError(400, "invalid_request", "state is required");
  const fail = (error: string, description: string) =>
    redirectTo(redirectUri, { error, error_description: description, state: st });
  if (q.get("response_type") !== "code")
    return fail("unsupported_response_type", "only response_type=code is supported");
  const challenge = q.get("code_challenge");
  const method = q.get("code_challenge_method");
  if (challenge !== null) {
    if (method !== "S256") return fail("invalid_request", "code_challenge_method must be S256");
    if (!/^[A-Za-z0-9\-_]{43}$/.test(challenge))
      return fail("invalid_request", "code_challenge is not a base64url SHA-256 digest");
  } else if (method !== null) return fail("invalid_request", "code_challenge_method without code_challenge");
  // Test hook: `_fake_error=access_denied` simulates a user who declines.
  const forced = q.get("_fake_error");
  if (forced) return fail(forced, "simulated by the fake provider");
  const code = randomToken("code");
  // QuickBooks names the company the user picked in the redirect (realmId), MYOB the company file
  // (businessId, businessName); it becomes the grant's tenant.
  const named = provider.startsWith("generic:") ? namedOnRedirect(provider.slice("generic:".length)) : null;
  const tenantId = provider === "quickbooks" ? realmId() : (named?.tenantId ?? null);
  // Test hook: `_fake_organisations=N`: a Xero user who ticks N organisations at consent.
  const ticked = Number(q.get("_fake_organisations") ?? "");
  const organisations = provider === "xero" && Number.isInteger(ticked) && ticked > 0 ? Math.min(ticked, 4) : null;
  // Test hook: `_fake_tenant=<id>`: the user consents to a company they consented to before (a reconnect).
  const again = q.get("_fake_tenant");
  // Test hook: `_fake_expires_in=<seconds>`: the grant's access tokens (issued and refreshed) live this long.
  const lifetime = Number(q.get("_fake_expires_in") ?? "");
  const expiresIn = Number.isInteger(lifetime) && lifetime > 0 ? lifetime : null;
  state.codes.set(code, {
    code,
    provider,
    clientId,
    redirectUri,
    scope: q.get("scope") ?? "",
    state: st,
    challenge,
    method,
    tenantId: provider === "quickbooks" && again ? again : tenantId,
    organisations,
    again,
    expiresIn,
    expiresAt: Date.now() + CODE_TTL_MS,
    used: false,
    grantId: null,
    scripts: [],
  });
  const realm = provider === "quickbooks" ? (again ?? tenantId) : null;
  return redirectTo(redirectUri, { code, state: st, ...(realm ? { realmId: realm } : {}), ...named?.params });
}

/** Intuit answers `x_refresh_token_hard_expires_in` only to a token request that asks with this header. */
const hardExpiryAsked = (ctx: Ctx) => ctx.req.headers["x-include-refresh-token-hard-expires-in"] === "true";

/** Client authentication per the provider's registered methods (RFC 6749 §2.3.1). */
function authenticate(ctx: Ctx, form: URLSearchParams, client: Client): Reply | null {
  const header = ctx.req.headers.authorization;
  const basic = header?.match(/^Basic\s+(\S+)$/i);
  const bodySecret = form.get("client_secret");
  const invalid = (why: string) =>
    oauthError(401, "invalid_client", why, basic || header ? { "WWW-Authenticate": 'Basic realm="fake-oauth"' } : {});
  if (basic && bodySecret !== null)
    return oauthError(400, "invalid_request", "more than one client authentication method");
  if (basic) {
    if (!client.methods.includes("basic"))
      return invalid("client_secret_basic is not allowed for this client; use client_secret_post");
    const decoded = Buffer.from(basic[1] ?? "", "base64").toString("utf8");
    const i = decoded.indexOf(":");
    const unform = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        return s;
      }
    };
    const id = unform(decoded.slice(0, i < 0 ? decoded.length : i));
    const secret = i < 0 ? "" : unform(decoded.slice(i + 1));
    if (id !== client.clientId || secret !== client.secret) return invalid("client authentication failed");
    const bodyId = form.get("client_id");
    if (bodyId !== null && bodyId !== id) return invalid("client_id in the body differs from the Basic credentials");
    return null;
  }
  if (bodySecret !== null) {
    if (!client.methods.includes("post"))
      return invalid("client_secret_post is not allowed for this client; use HTTP Basic");
    if (form.get("client_id") !== client.clientId || bodySecret !== client.secret)
      return invalid("client authentication failed");
    return null;
  }
  return invalid("client authentication required");
}

const tokenScriptError = (entry: ScriptedResponse, status: number): Reply => {
  const error =
    entry.error ??
    (status === 400
      ? "invalid_grant"
      : status === 401
        ? "invalid_client"
        : status === 429
          ? "rate_limit_exceeded"
          : "server_error");
  return oauthError(status, error, entry.errorDescription ?? `scripted ${status}`);
};

/** POST token. */
export async function token(state: State, ctx: Ctx, provider: ProviderKey): Promise<Reply | null> {
  const form = formOf(ctx);
  const client = clientFor(provider);
  const grantType = form.get("grant_type");
  if (grantType === "authorization_code") {
    const code = state.codes.get(form.get("code") ?? "");
    const entry = code && code.provider === provider ? code : undefined;
    const grant = entry?.grantId ? state.grants.get(entry.grantId) : undefined;
    if (grant) grant.counters.tokenRequests++;
    return runScripted(
      ctx,
      entry?.scripts.shift(),
      () => exchangeCode(state, ctx, form, client, provider),
      tokenScriptError,
    );
  }
  if (grantType === "refresh_token") {
    const found = state.tokens.get(form.get("refresh_token") ?? "");
    const grant = found && found.kind === "refresh" && found.grant.provider === provider ? found.grant : undefined;
    if (!grant) return authenticate(ctx, form, client) ?? oauthError(400, "invalid_grant", "unknown refresh token");
    const c = grant.counters;
    c.tokenRequests++;
    c.refreshRequests++;
    c.inFlightRefresh++;
    c.maxConcurrentRefresh = Math.max(c.maxConcurrentRefresh, c.inFlightRefresh);
    const script = grant.scripts.token.shift();
    const presented = form.get("refresh_token") ?? "";
    const logged: RefreshLogEntry = {
      at: Date.now(),
      endedAt: null,
      status: 0,
      scripted: script !== undefined,
      reused: grant.consumed.has(presented),
      rotated: false,
    };
    grant.refreshLog.push(logged);
    ctx.res.once("close", () => {
      c.inFlightRefresh--;
      logged.endedAt = Date.now();
      logged.status = ctx.res.headersSent ? ctx.res.statusCode : 0;
      logged.rotated = !logged.reused && grant.consumed.has(presented);
    });
    return runScripted(ctx, script, () => refresh(state, ctx, form, client, grant), tokenScriptError);
  }
  return (
    authenticate(ctx, form, client) ??
    oauthError(400, "unsupported_grant_type", `unsupported grant_type ${grantType ?? "(missing)"}`)
  );
}

function exchangeCode(state: State, ctx: Ctx, form: URLSearchParams, client: Client, provider: ProviderKey): Reply {
  const denied = authenticate(ctx, form, client);
  if (denied) return denied;
  const code = state.codes.get(form.get("code") ?? "");
  if (!code || code.provider !== provider || code.clientId !== client.clientId)
    return oauthError(400, "invalid_grant", "unknown authorization code");
  if (code.used) {
    // RFC 6749 §4.1.2: a code used twice revokes what was issued from it.
    const grant = code.grantId ? state.grants.get(code.grantId) : undefined;
    if (grant) revokeGrant(grant, "authorization code reused");
    return oauthError(400, "invalid_grant", "authorization code already used");
  }
  // Any authenticated attempt burns the code, whether or not it succeeds.
  code.used = true;
  if (code.expiresAt <= Date.now()) return oauthError(400, "invalid_grant", "authorization code expired");
  if (form.get("redirect_uri") !== code.redirectUri)
    return oauthError(400, "invalid_grant", "redirect_uri does not match the authorization request");
  const verifier = form.get("code_verifier");
  if (code.challenge !== null) {
    if (verifier === null) return oauthError(400, "invalid_grant", "code_verifier is required");
    if (!VERIFIER.test(verifier) || s256(verifier) !== code.challenge)
      return oauthError(400, "invalid_grant", "PKCE verification failed");
  } else if (verifier !== null)
    return oauthError(400, "invalid_grant", "code_verifier sent but no code_challenge was given");
  const grant = createGrant(state, {
    provider,
    scope: code.scope || undefined,
    code: code.code,
    tenants: code.tenantId
      ? [{ id: code.tenantId }]
      : code.organisations
        ? xeroConsent(code.organisations)
        : code.again
          ? [{ id: code.again, ...(provider === "xero" ? { type: "ORGANISATION" as const } : {}) }]
          : undefined,
    ...(code.expiresIn ? { expiresIn: code.expiresIn, refreshExpiresIn: code.expiresIn } : {}),
  });
  grant.counters.tokenRequests = 1;
  code.grantId = grant.id;
  const body = tokenResponse(
    grant,
    grant.currentAccessToken,
    grant.currentRefreshToken,
    grant.expiresIn,
    hardExpiryAsked(ctx),
  );
  return json(200, body, {
    "Cache-Control": "no-store",
    Pragma: "no-cache",
  });
}

function refresh(state: State, ctx: Ctx, form: URLSearchParams, client: Client, grant: Grant): Reply {
  const denied = authenticate(ctx, form, client);
  if (denied) return denied;
  const presented = form.get("refresh_token") ?? "";
  if (grant.revoked) return oauthError(400, "invalid_grant", `grant revoked (${grant.revokedReason ?? "revoked"})`);
  if (grant.consumed.has(presented)) {
    revokeGrant(grant, "refresh token reuse detected");
    return oauthError(400, "invalid_grant", "refresh token already used; the grant is revoked");
  }
  if (presented !== grant.currentRefreshToken) return oauthError(400, "invalid_grant", "unknown refresh token");
  const requested = form.get("scope");
  if (requested !== null) {
    const granted = new Set(grant.scope.split(" "));
    if (requested.split(" ").some((s) => s && !granted.has(s)))
      return oauthError(400, "invalid_scope", "requested scope exceeds the grant");
  }
  const { access, refresh: next } = rotate(state, grant);
  return json(200, tokenResponse(grant, access, next, grant.refreshExpiresIn, hardExpiryAsked(ctx)), {
    "Cache-Control": "no-store",
    Pragma: "no-cache",
  });
}

/** The token to revoke: the form's `token` (RFC 7009), or for QuickBooks a JSON body `{"token": …}` as Intuit's SDKs send. */
function tokenToRevoke(ctx: Ctx, provider: ProviderKey, form: URLSearchParams): string | null {
  if (provider !== "quickbooks") return form.get("token");
  if (!(ctx.req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) return null;
  try {
    const body = jsonOf(ctx);
    return typeof body === "object" && body !== null && "token" in body && typeof body.token === "string"
      ? body.token
      : null;
  } catch {
    return null;
  }
}

/** POST revoke (RFC 7009): 200 for any token once the client is authenticated. */
export async function revoke(state: State, ctx: Ctx, provider: ProviderKey): Promise<Reply | null> {
  const form = formOf(ctx);
  const presented = tokenToRevoke(ctx, provider, form);
  const found = state.tokens.get(presented ?? "");
  const grant = found && found.grant.provider === provider ? found.grant : undefined;
  if (grant) grant.counters.revokeRequests++;
  return runScripted(
    ctx,
    grant?.scripts.revoke.shift(),
    () => {
      const denied = authenticate(ctx, form, clientFor(provider));
      if (denied) return denied;
      if (!presented) {
        const shape = provider === "quickbooks" ? 'a JSON body {"token": "…"}' : "token";
        return oauthError(400, "invalid_request", `${shape} is required`);
      }
      if (grant) revokeGrant(grant, `revoked via revocation endpoint (${found?.kind ?? "?"} token)`);
      return { status: 200, body: "" };
    },
    tokenScriptError,
  );
}
