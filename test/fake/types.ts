// Wire types of the fake provider server's control API. Types only: imported by the Node server
// and (with `import type`) by test/fake-client.ts inside workerd.

/** "xero", "gusto", "quickbooks" or "generic:<name>" (served under /generic/<name>/...). */
export type ProviderKey = "xero" | "gusto" | "quickbooks" | `generic:${string}`;

/** Which requests a script applies to: refresh-token requests of a grant, or its API calls. */
export type ScriptEndpoint = "token" | "api" | "revoke";

/**
 * One scripted outcome. `status` omitted or 200 = behave normally. Any other status answers
 * that status without touching state (a refresh token is neither consumed nor rotated).
 */
export interface ScriptedResponse {
  status?: number;
  /** OAuth error code for token-endpoint errors (default: invalid_grant for 400, invalid_client for 401, server_error otherwise). */
  error?: string;
  errorDescription?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Wait this long before processing (if the client hangs up meanwhile, nothing is processed). */
  delayMs?: number;
  /** With delayMs: process first (rotate tokens), then wait before answering — a "lost response". */
  delayAfterProcessing?: boolean;
  /** Replaces the default JSON body (a string is sent as text/plain). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the connection without answering (after delayMs, if any): a network error. */
  reset?: boolean;
  /** Send the status line and headers at once, the body this much later (a response that trickles in). */
  bodyDelayMs?: number;
  /** Sent as Location, e.g. with a 307 (a fakeUrl("/sink/<name>") records what follows it). */
  location?: string;
  /**
   * Park the request at this gate until the test releases it (`gate(name).release()` in
   * test/fake-client.ts). Where, by `holdAt`; a client that hangs up meanwhile abandons it.
   */
  hold?: string;
  /**
   * "arrival" (default): before processing, so an abandoned request changes nothing. "answer":
   * processed (a refresh has rotated), the answer held: a lost answer if the client gives up.
   * "body": processed, status line and headers sent, the body held.
   */
  holdAt?: "arrival" | "answer" | "body";
}

/** A gate's counts (GET /_control/gates/<name>). */
export interface GateState {
  name: string;
  /** Released: what arrives now passes at once. */
  open: boolean;
  /** Requests parked now. */
  waiting: number;
  arrived: number;
  /** Requests that went on after the release. */
  passed: number;
  /** Requests whose client hung up while parked. */
  abandoned: number;
}

/** One request that reached `/sink/<name>` (GET /_control/sink/<name>). */
export interface SinkHit {
  method: string;
  /** Lower-cased request headers. */
  headers: Record<string, string>;
  body: string;
}

export interface TenantInput {
  id?: string;
  /** Xero tenant type; default ORGANISATION. */
  type?: "ORGANISATION" | "PRACTICE";
  name?: string;
}

export interface Tenant {
  id: string;
  type: "ORGANISATION" | "PRACTICE" | "COMPANY" | "TENANT";
  name: string;
  /** Xero connection id (DELETE /connections/{id}). */
  connectionId: string;
}

export interface MintGrantRequest {
  provider: ProviderKey;
  /** Default: like the authorize flow (Xero: a PRACTICE then an ORGANISATION tenant; QuickBooks: one realm id of 16 digits; others: one random uuid). */
  tenantIds?: string[];
  tenants?: TenantInput[];
  /** Lifetime in seconds of the minted access token (may be 0 or negative: already expired). Default 1800. */
  expiresIn?: number;
  /** Lifetime in seconds of access tokens issued by refreshes. Default 1800. */
  refreshExpiresIn?: number;
  /** Default true. false: refresh responses omit refresh_token and the old one stays valid. */
  refreshTokenOnRefresh?: boolean;
  scope?: string;
}

export interface MintedGrant {
  grantId: string;
  provider: ProviderKey;
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
  tenantIds: string[];
  tenants: Tenant[];
}

export interface GrantPatch {
  expiresIn?: number;
  refreshExpiresIn?: number;
  refreshTokenOnRefresh?: boolean;
}

export interface GrantSummary {
  grantId: string;
  provider: ProviderKey;
  clientId: string;
  scope: string;
  tenantIds: string[];
  tenants: Tenant[];
  /** The authorization code the grant came from, if any. */
  code: string | null;
  /** Token-endpoint requests presenting this grant's code or refresh tokens (code exchanges + refreshes), failed ones included. */
  tokenRequests: number;
  refreshRequests: number;
  revokeRequests: number;
  apiRequests: number;
  revoked: boolean;
  revokedReason: string | null;
  currentAccessToken: string;
  currentRefreshToken: string;
  /** Epoch ms at which currentAccessToken expires. */
  accessTokenExpiresAt: number;
  consumedRefreshTokens: number;
  inFlightRefresh: number;
  maxConcurrentRefresh: number;
  pendingScripts: { token: number; api: number; revoke: number };
}

export interface AuthorizationSummary {
  code: string;
  provider: ProviderKey;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  /** The tenant the user picked at consent, when the redirect names it: QuickBooks' `realmId`. */
  tenantId: string | null;
  expiresAt: number;
  used: boolean;
  grantId: string | null;
  pendingScripts: number;
}

export interface ApiRequestLog {
  at: string;
  method: string;
  /** Path relative to the provider's API base, e.g. "/api.xro/2.0/Reports/ProfitAndLoss". */
  path: string;
  query: Record<string, string>;
  /** Lower-cased request headers (host/connection/content-length left out). */
  headers: Record<string, string>;
  /** The request body, up to 10,000 characters ("" for none). */
  body: string;
  grantId: string | null;
  tenantId: string | null;
  /** Response status; 0 if none was sent (connection reset or client gone). */
  status: number;
}

export interface TenantConfig {
  /** Added latency for this tenant's API calls, while they count as in flight. Default 0. */
  latencyMs?: number;
  /** Max API calls in flight; 0 = unlimited. Xero default 5, QuickBooks 10, Gusto/generic 0. */
  concurrentLimit?: number;
  /** Max API calls per rolling minute; 0 = unlimited. Xero default 60, Gusto 200, QuickBooks 500, generic 0. */
  minuteLimit?: number;
}

export interface TenantStats {
  tenantId: string;
  requests: number;
  inFlight: number;
  maxConcurrent: number;
  rateLimited: number;
  config: Required<TenantConfig>;
}

/** How the fake Gusto pages a company's employees (`PUT /_control/gusto/companies/{uuid}/paging`). */
export interface GustoPaging {
  /**
   * The most employees one page holds, whatever `per` asks. Gusto documents no largest `per`, so
   * serving fewer than asked is the server's right. Default 50: fewer than the adapter's 100.
   */
  largestPage?: number;
  /** false: answers leave X-Total-Pages out, so only an empty page ends the list. Default true. */
  totalPagesHeader?: boolean;
}

export type XeroReportType = "ProfitAndLoss" | "BalanceSheet";
export type QuickBooksReportType = "ProfitAndLoss" | "BalanceSheet";
