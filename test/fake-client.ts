// Helpers for tests running in workerd to drive the fake provider server (test/fake/, started by
// test/global-setup.ts). Plain fetch to http://127.0.0.1:<port>; no Node APIs here.
import { inject } from "vitest";
import type {
  ApiRequestLog,
  AuthorizationSummary,
  GateState,
  GrantPatch,
  GrantSummary,
  GustoPaging,
  MintGrantRequest,
  MintedGrant,
  ProviderKey,
  QuickBooksReportType,
  ScriptedResponse,
  SinkHit,
  TenantConfig,
  TenantStats,
  XeroReportType,
} from "./fake/types.ts";

export type * from "./fake/types.ts";

// Also declared in test/global-setup.ts, which this tsconfig does not include.
declare module "vitest" {
  interface ProvidedContext {
    fakePort: number;
  }
}

/** http://127.0.0.1:<port> of the fake provider server. */
export function fakeOrigin(): string {
  return `http://127.0.0.1:${inject("fakePort")}`;
}

/** Absolute URL on the fake server, e.g. fakeUrl("/xero/token"). */
export function fakeUrl(path: string): string {
  return `${fakeOrigin()}${path.startsWith("/") ? path : `/${path}`}`;
}

/** The registered OAuth clients (fixed). */
export const FAKE_CLIENTS = {
  xero: { clientId: "xero-client", clientSecret: "xero-secret", auth: "client_secret_basic" },
  gusto: { clientId: "gusto-client", clientSecret: "gusto-secret", auth: "client_secret_post" },
  quickbooks: { clientId: "quickbooks-client", clientSecret: "quickbooks-secret", auth: "client_secret_basic" },
  generic: (name: string) => ({ clientId: `${name}-client`, clientSecret: `${name}-secret`, auth: "either" as const }),
} as const;

export interface ProviderUrls {
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  apiBaseUrl: string;
}

/** Paths of the look-alike providers on the fake: authorize, token, revoke, API base. */
const FIXED_PATHS = {
  xero: ["/xero/authorize", "/xero/token", "/xero/revoke", "/xero/api"],
  gusto: ["/gusto/oauth/authorize", "/gusto/oauth/token", "/gusto/oauth/revoke", "/gusto/api"],
  quickbooks: [
    "/quickbooks/oauth2",
    "/quickbooks/oauth2/v1/tokens/bearer",
    "/quickbooks/oauth2/v1/tokens/revoke",
    "/quickbooks/api",
  ],
} as const;

/** The fake's OAuth endpoints and API base for a provider ("xero", "gusto", "quickbooks" or "generic:<name>"). */
export function providerUrls(provider: ProviderKey): ProviderUrls {
  const base = `/generic/${provider.slice("generic:".length)}`;
  const [authorize, token, revoke, api] =
    provider === "xero" || provider === "gusto" || provider === "quickbooks"
      ? FIXED_PATHS[provider]
      : [`${base}/authorize`, `${base}/token`, `${base}/revoke`, `${base}/api`];
  return {
    authorizeUrl: fakeUrl(authorize),
    tokenUrl: fakeUrl(token),
    revokeUrl: fakeUrl(revoke),
    apiBaseUrl: fakeUrl(api),
  };
}

async function controlCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(fakeUrl(`/_control${path}`), {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`fake control ${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Mints a grant directly (no browser flow): tokens plus fresh random tenant ids. */
export function createGrant(req: MintGrantRequest): Promise<MintedGrant> {
  return controlCall("POST", "/grants", req);
}

/** Counters and current tokens of a grant. */
export function stats(grantId: string): Promise<GrantSummary> {
  return controlCall("GET", `/grants/${encodeURIComponent(grantId)}`);
}

/** Finds the grant that a code, access token, refresh token (current or consumed) or tenant id belongs to; null if none. */
export async function findGrant(
  by: { code: string } | { access_token: string } | { refresh_token: string } | { tenantId: string },
): Promise<GrantSummary | null> {
  const query = new URLSearchParams(by as Record<string, string>).toString();
  const res = await fetch(fakeUrl(`/_control/grants?${query}`));
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`fake control GET /grants?${query} → ${res.status}: ${await res.text()}`);
  return await res.json<GrantSummary>();
}

/** Appends scripted outcomes for the grant's next refresh requests ("token") or API calls ("api"). */
export function script(
  grantId: string,
  endpoint: "token" | "api" | "revoke",
  responses: ScriptedResponse[],
): Promise<{ pending: number }> {
  return controlCall("POST", `/grants/${encodeURIComponent(grantId)}/script`, { endpoint, responses });
}
export const scriptToken = (grantId: string, responses: ScriptedResponse[]) => script(grantId, "token", responses);
export const scriptApi = (grantId: string, responses: ScriptedResponse[]) => script(grantId, "api", responses);
export const scriptRevoke = (grantId: string, responses: ScriptedResponse[]) => script(grantId, "revoke", responses);
export const clearScripts = (grantId: string): Promise<{ pending: number }> =>
  controlCall("DELETE", `/grants/${encodeURIComponent(grantId)}/script`);

/** Changes token lifetimes / rotation for tokens issued from now on. */
export const updateGrant = (grantId: string, patch: GrantPatch): Promise<GrantSummary> =>
  controlCall("PATCH", `/grants/${encodeURIComponent(grantId)}`, patch);
/** Makes every access token of the grant expired now (refresh tokens stay usable). */
export const expireAccessTokens = (grantId: string): Promise<GrantSummary> =>
  controlCall("POST", `/grants/${encodeURIComponent(grantId)}/expire`);
/** Revokes the grant at the provider, as a user disconnecting the app there would. */
export const revokeGrant = (grantId: string): Promise<GrantSummary> =>
  controlCall("POST", `/grants/${encodeURIComponent(grantId)}/revoke`);
/** API requests that presented one of the grant's access tokens. */
export const grantRequests = (grantId: string): Promise<ApiRequestLog[]> =>
  controlCall("GET", `/grants/${encodeURIComponent(grantId)}/requests`);

/** A gate of the fake: a scripted answer `{ hold: gate.name }` is parked there until `release()`. */
export interface Gate {
  name: string;
  /** Resolves once `count` requests are parked at the gate (throws if none comes within `timeoutMs`). */
  held(count?: number, timeoutMs?: number): Promise<GateState>;
  /** Resolves once `count` parked requests were abandoned: their client (the worker) hung up, e.g. timed out. */
  abandoned(count?: number, timeoutMs?: number): Promise<GateState>;
  /** Opens the gate: what is parked goes on, and later arrivals pass at once. */
  release(): Promise<GateState>;
  state(): Promise<GateState>;
}

/**
 * A new gate, named `label` plus a random suffix: the fake outlives a test file (watch mode reruns
 * it), and a gate once released stays open.
 */
export function gate(label: string): Gate {
  const name = `${label}-${crypto.randomUUID()}`;
  const path = `/gates/${encodeURIComponent(name)}`;
  const wait = (want: Record<string, number>, timeoutMs = 10_000) =>
    controlCall<GateState>("POST", `${path}/wait`, { ...want, timeoutMs });
  return {
    name,
    held: (count = 1, timeoutMs) => wait({ waiting: count }, timeoutMs),
    abandoned: (count = 1, timeoutMs) => wait({ abandoned: count }, timeoutMs),
    release: () => controlCall("POST", `${path}/release`),
    state: () => controlCall("GET", path),
  };
}

/** A URL on the fake that records every request reaching it (e.g. a scripted redirect's target). */
export const sinkUrl = (name: string): string => fakeUrl(`/sink/${encodeURIComponent(name)}`);
/** What reached sinkUrl(name). */
export const sinkHits = (name: string): Promise<SinkHit[]> => controlCall("GET", `/sink/${encodeURIComponent(name)}`);

export const authorization = (code: string): Promise<AuthorizationSummary> =>
  controlCall("GET", `/authorizations/${encodeURIComponent(code)}`);
/** Scripted outcomes for exchanges of this authorization code (errors don't burn the code). */
export const scriptCode = (code: string, responses: ScriptedResponse[]): Promise<{ pending: number }> =>
  controlCall("POST", `/authorizations/${encodeURIComponent(code)}/script`, { responses });
export const expireCode = (code: string): Promise<{ expiresAt: number }> =>
  controlCall("POST", `/authorizations/${encodeURIComponent(code)}/expire`);

/**
 * Plays the consenting user: requests an authorize URL (as the worker built it) without following
 * the redirect, and returns where the provider sends the browser back to (QuickBooks adds realmId).
 */
export async function consent(authorizeUrl: string): Promise<{
  location: URL;
  code: string | null;
  state: string | null;
  error: string | null;
  realmId: string | null;
}> {
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  const location = res.headers.get("Location");
  if (res.status !== 302 || !location) throw new Error(`fake authorize → ${res.status}: ${await res.text()}`);
  const url = new URL(location);
  return {
    location: url,
    code: url.searchParams.get("code"),
    state: url.searchParams.get("state"),
    error: url.searchParams.get("error"),
    realmId: url.searchParams.get("realmId"),
  };
}

export const tenantRequests = (tenantId: string): Promise<ApiRequestLog[]> =>
  controlCall("GET", `/tenants/${encodeURIComponent(tenantId)}/requests`);
export const tenantStats = (tenantId: string): Promise<TenantStats> =>
  controlCall("GET", `/tenants/${encodeURIComponent(tenantId)}/stats`);
export const configureTenant = (tenantId: string, config: TenantConfig): Promise<Required<TenantConfig>> =>
  controlCall("PUT", `/tenants/${encodeURIComponent(tenantId)}/config`, config);

export const setGustoEmployees = (companyUuid: string, employees: unknown[]): Promise<{ count: number }> =>
  controlCall("PUT", `/gusto/companies/${encodeURIComponent(companyUuid)}/employees`, employees);
/** How the fake pages the company's employees from now on (unset fields keep their value); returns the effective paging. */
export const setGustoPaging = (companyUuid: string, paging: GustoPaging): Promise<Required<GustoPaging>> =>
  controlCall("PUT", `/gusto/companies/${encodeURIComponent(companyUuid)}/paging`, paging);
/** Control of the reports served per Xero tenant or QuickBooks realm: set, back to default, or preview. */
function reportControls<Type extends string>(base: string) {
  const path = (id: string, type: Type) => `${base}/${encodeURIComponent(id)}/reports/${type}`;
  return {
    set: (id: string, type: Type, report: unknown): Promise<{ ok: true }> => controlCall("PUT", path(id, type), report),
    clear: (id: string, type: Type): Promise<{ ok: true }> => controlCall("DELETE", path(id, type)),
    /** The exact report body the fake would serve for these query params (no auth, not logged). */
    get: <T = unknown>(id: string, type: Type, params: Record<string, string> = {}): Promise<T> =>
      controlCall("GET", `${path(id, type)}?${new URLSearchParams(params).toString()}`),
  };
}

const xeroReports = reportControls<XeroReportType>("/xero/tenants");
export const setXeroReport = xeroReports.set;
export const clearXeroReport = xeroReports.clear;
export const xeroReport = xeroReports.get;

const quickBooksReports = reportControls<QuickBooksReportType>("/quickbooks/realms");
export const setQuickBooksReport = quickBooksReports.set;
export const clearQuickBooksReport = quickBooksReports.clear;
export const quickBooksReport = quickBooksReports.get;
