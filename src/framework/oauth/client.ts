// Our OAuth 2.0 client (RFC 6749 authorization code grant, RFC 7636 PKCE, RFC 7009 revocation), over
// fetch and the @oslojs packages the worker already uses; no OAuth library. Arctic's public entry
// evaluates its ~70 provider classes at startup for the one generic client we would use (its dist/
// files are private: 3.7.0 has no "exports" map). oauth4webapi would serve (both client auth
// methods, the raw Response), but as a new dependency whose ~150 KB source is mostly discovery,
// JWT and DPoP, and what is ours (no redirect followed, a late body as no answer, the error codes)
// would stay ours around it. Dropping arctic's two modules took the worker bundle from 138.4 to
// 137.2 KiB gzip (bench/weight.ts); startup stayed within its noise.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { clampCode } from "../failure";
import { randomId } from "../hash";
import { parseRetryAfter } from "../retry";
import type { OAuthApp, TokenResponse } from "./types";

/** Why a token endpoint call failed, split the way the token lifecycle needs it. */
export type TokenErrorKind =
  /** The server answered with an OAuth error (RFC 6749 §5.2), e.g. invalid_grant. */
  | "rejected"
  /** Network failure, timeout, 5xx or 429: worth retrying, the grant may be fine. */
  | "unavailable"
  /** Anything else (unexpected status or body): a configuration or provider problem. */
  | "unexpected";

export class TokenEndpointError extends Error {
  constructor(
    readonly kind: TokenErrorKind,
    /** OAuth error code for "rejected" (`[a-z_]{1,64}`, else "other"); "network", "timeout", "rate_limited", "http_<status>" or "invalid_response" otherwise. */
    readonly code: string,
    message: string,
    readonly status: number | null = null,
    /** From Retry-After, when the server sent one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "TokenEndpointError";
  }
}

/** The operations the framework needs from an OAuth client. */
export interface OAuthClient {
  /** The authorize URL to redirect the user to; `codeVerifier` is null when PKCE is off. */
  authorizationUrl(state: string, codeVerifier: string | null): URL;
  exchangeCode(code: string, codeVerifier: string | null): Promise<TokenResponse>;
  refresh(refreshToken: string): Promise<TokenResponse>;
  /** RFC 7009; resolves when the server accepted the revocation. */
  revoke(token: string, hint: "refresh_token" | "access_token"): Promise<void>;
}

export interface ClientOptions {
  redirectUri: string;
  /** Per-request timeout for token endpoint calls. */
  timeoutMs?: number;
  now?: () => number;
}

/** A PKCE code verifier (RFC 7636 §4.1): 32 random bytes, base64url, 43 characters. */
export function newCodeVerifier(): string {
  return randomId();
}

/** Builds the client for a resolved app. */
export function createOAuthClient(app: OAuthApp, options: ClientOptions): OAuthClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;

  const post = async (
    url: string,
    params: Record<string, string>,
    format: "form" | "json" = "form",
    extraHeaders: Readonly<Record<string, string>> = {},
  ): Promise<{ status: number; headers: Headers; body: unknown }> => {
    const fields = new URLSearchParams(params);
    const headers = new Headers({
      ...extraHeaders,
      "Content-Type": format === "json" ? "application/json" : "application/x-www-form-urlencoded",
      Accept: "application/json",
      "User-Agent": "zebbra-integrations",
    });
    if (app.clientAuth === "client_secret_basic") {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
      const credentials = `${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`;
      headers.set("Authorization", `Basic ${encodeBase64(new TextEncoder().encode(credentials))}`);
    } else {
      fields.set("client_id", app.clientId);
      fields.set("client_secret", app.clientSecret);
    }
    const body = format === "json" ? JSON.stringify(Object.fromEntries(fields)) : fields;
    // A timer cleared once the answer is in, unlike AbortSignal.timeout, whose timer outlives the
    // exchange and keeps the workspace object from being evicted for the whole timeout.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException("token endpoint timeout", "TimeoutError")),
      timeoutMs,
    );
    try {
      return await exchange(url, headers, body, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  };

  const exchange = async (
    url: string,
    headers: Headers,
    body: string | URLSearchParams,
    signal: AbortSignal,
  ): Promise<{ status: number; headers: Headers; body: unknown }> => {
    let response: Response;
    try {
      // Never followed: a redirect would resend the client secret and the code or token to its
      // target. (Workers refuse `redirect: "error"`; "manual" hands the 3xx to the check below.)
      response = await fetch(url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal,
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw new TokenEndpointError(
        "unavailable",
        timedOut ? "timeout" : "network",
        timedOut ? `No answer from ${host(url)} within ${timeoutMs} ms` : `Could not reach ${host(url)}`,
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new TokenEndpointError(
        "unexpected",
        `http_${response.status}`,
        `${host(url)} answered ${response.status}, a redirect, which is not followed`,
        response.status,
      );
    }
    // The timeout also covers the body: headers in time and a late body is the same lost answer
    // as no answer, and must not escape as a bare TimeoutError (it left a refresh marker behind).
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new TokenEndpointError("unavailable", "timeout", `No full answer from ${host(url)} within ${timeoutMs} ms`);
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };

  const tokenRequest = async (params: Record<string, string>): Promise<TokenResponse> => {
    const { status, headers, body } = await post(app.tokenUrl, params, "form", app.tokenHeaders);
    if (status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(headers.get("Retry-After"), now());
      throw new TokenEndpointError(
        "unavailable",
        status === 429 ? "rate_limited" : `http_${status}`,
        `${host(app.tokenUrl)} answered ${status}`,
        status,
        retryAfterMs,
      );
    }
    if (status === 400 || status === 401) {
      // Clamped before it reaches a message, a row (last_refresh_error) or a webhook.
      const code = isRecord(body) && typeof body.error === "string" ? clampCode(body.error) : null;
      if (code)
        throw new TokenEndpointError("rejected", code, `${host(app.tokenUrl)} refused the request: ${code}`, status);
    }
    if (status !== 200 || !isRecord(body)) {
      throw new TokenEndpointError(
        "unexpected",
        `http_${status}`,
        `${host(app.tokenUrl)} answered ${status} with an unexpected body`,
        status,
      );
    }
    return toTokenResponse(body, now());
  };

  return {
    authorizationUrl(state, codeVerifier) {
      // RFC 6749 §4.1.1, with RFC 7636 §4.3's S256 challenge when PKCE is on.
      const url = new URL(app.authorizeUrl);
      const query = url.searchParams;
      query.set("response_type", "code");
      query.set("client_id", app.clientId);
      query.set("redirect_uri", options.redirectUri);
      query.set("state", state);
      if (codeVerifier !== null) {
        query.set("code_challenge_method", "S256");
        query.set("code_challenge", encodeBase64urlNoPadding(sha256(new TextEncoder().encode(codeVerifier))));
      }
      if (app.scopes.length > 0) query.set("scope", app.scopes.join(" "));
      for (const [k, v] of Object.entries(app.authorizeParams ?? {})) query.set(k, v);
      return url;
    },
    exchangeCode(code, codeVerifier) {
      const params: Record<string, string> = {
        grant_type: "authorization_code",
        code,
        redirect_uri: options.redirectUri,
      };
      if (codeVerifier !== null) params.code_verifier = codeVerifier;
      return tokenRequest(params);
    },
    refresh(refreshToken) {
      return tokenRequest({ grant_type: "refresh_token", refresh_token: refreshToken });
    },
    async revoke(token, hint) {
      if (!app.revokeUrl) throw new Error("This provider has no revocation endpoint");
      // Intuit: a JSON body with the token alone (its SDKs' revoke()).
      const { status } =
        app.revokeBody === "json"
          ? await post(app.revokeUrl, { token }, "json")
          : await post(app.revokeUrl, { token, token_type_hint: hint });
      if (status !== 200)
        throw new TokenEndpointError(
          status >= 500 ? "unavailable" : "unexpected",
          `http_${status}`,
          `${host(app.revokeUrl)} answered ${status} to the revocation`,
          status,
        );
    },
  };
}

/** Normalizes a token response (RFC 6749 §5.1); throws "unexpected" without a string access_token. */
function toTokenResponse(body: Record<string, unknown>, now: number): TokenResponse {
  if (typeof body.access_token !== "string")
    throw new TokenEndpointError("unexpected", "invalid_response", "The token endpoint's answer has no access_token");
  let expiresAt: number | null = null;
  if ("expires_in" in body) expiresAt = now + Number(body.expires_in) * 1000;
  // Some servers send an absolute expiry instead (epoch seconds).
  else if (typeof body.expires_at === "number") expiresAt = body.expires_at * 1000;
  if (expiresAt !== null && !Number.isFinite(expiresAt)) expiresAt = null;
  // Intuit, when asked (tokenHeaders): seconds left of the refresh token's five-year life.
  const hard = Number(body.x_refresh_token_hard_expires_in);
  const refreshHardExpiresAt = Number.isFinite(hard) && hard > 0 ? now + hard * 1000 : null;
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : null,
    tokenType: typeof body.token_type === "string" ? body.token_type : null,
    expiresAt,
    scope: typeof body.scope === "string" ? body.scope : null,
    refreshHardExpiresAt,
  };
}

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the provider";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
