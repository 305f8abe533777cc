// In-memory state of the fake provider server: registered clients, authorization codes, grants
// (with their tokens), per-tenant request logs and limits, and per-tenant data overrides.
import { genericTenant } from "./generic.ts";
import { randomToken, realmId, uuid } from "./http.ts";
import type {
  ApiRequestLog,
  GrantSummary,
  GustoPaging,
  ProviderKey,
  ScriptedResponse,
  Tenant,
  TenantConfig,
  TenantInput,
  TenantStats,
} from "./types.ts";

export const CODE_TTL_MS = 10 * 60_000;
/** Intuit: a refresh token's life ends five years after consent, whatever its use. */
export const HARD_EXPIRY_MS = 5 * 365 * 24 * 3600_000;
export const DEFAULT_EXPIRES_IN = 1800;

export type AuthMethod = "basic" | "post";
export interface Client {
  clientId: string;
  secret: string;
  methods: AuthMethod[];
}

/** The fixed OAuth clients: xero, quickbooks → client_secret_basic only, gusto → client_secret_post only, generic → either. */
export function clientFor(provider: ProviderKey): Client {
  if (provider === "xero") return { clientId: "xero-client", secret: "xero-secret", methods: ["basic"] };
  if (provider === "quickbooks")
    return { clientId: "quickbooks-client", secret: "quickbooks-secret", methods: ["basic"] };
  if (provider === "gusto") return { clientId: "gusto-client", secret: "gusto-secret", methods: ["post"] };
  const name = provider.slice("generic:".length);
  return { clientId: `${name}-client`, secret: `${name}-secret`, methods: ["basic", "post"] };
}

export interface Code {
  code: string;
  provider: ProviderKey;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  challenge: string | null;
  method: string | null;
  /** The tenant picked at consent when the redirect names it (QuickBooks: realmId); else chosen at the exchange. */
  tenantId: string | null;
  /** Xero: how many organisations the user ticked at consent (test hook `_fake_organisations`); null = one. */
  organisations?: number | null;
  /** The one company consented to again (test hook `_fake_tenant`), else null. */
  again?: string | null;
  /** Lifetime in seconds of every access token of the grant (test hook `_fake_expires_in`), else the default. */
  expiresIn?: number | null;
  expiresAt: number;
  used: boolean;
  grantId: string | null;
  scripts: ScriptedResponse[];
}

export interface Grant {
  id: string;
  provider: ProviderKey;
  clientId: string;
  scope: string;
  tenants: Tenant[];
  code: string | null;
  authEventId: string;
  createdAt: number;
  expiresIn: number;
  refreshExpiresIn: number;
  refreshTokenOnRefresh: boolean;
  /** QuickBooks: when the grant's refresh tokens stop working however they are used (five years after consent). */
  hardExpiresAt: number;
  /** Every access token ever issued → its expiry (epoch ms). */
  accessTokens: Map<string, number>;
  currentAccessToken: string;
  currentRefreshToken: string;
  consumed: Set<string>;
  revoked: boolean;
  revokedReason: string | null;
  counters: {
    tokenRequests: number;
    refreshRequests: number;
    revokeRequests: number;
    apiRequests: number;
    inFlightRefresh: number;
    maxConcurrentRefresh: number;
  };
  scripts: { token: ScriptedResponse[]; api: ScriptedResponse[]; revoke: ScriptedResponse[] };
  log: ApiRequestLog[];
  /** Every refresh request of the grant, in arrival order (read in-process, e.g. by bench/soak.ts). */
  refreshLog: RefreshLogEntry[];
}

export interface RefreshLogEntry {
  /** Epoch ms of arrival. */
  at: number;
  /** Epoch ms the exchange ended (answer written, or connection closed); null while in flight. */
  endedAt: number | null;
  /** The status sent; 0 if nothing was (reset, or the client hung up first). */
  status: number;
  /** Whether a scripted outcome answered it. */
  scripted: boolean;
  /** Whether the refresh token presented had already been used (reuse detection revoked the grant). */
  reused: boolean;
  /** Whether it rotated the grant's tokens. */
  rotated: boolean;
}

export interface TenantState {
  id: string;
  provider: ProviderKey | null;
  log: ApiRequestLog[];
  requests: number;
  inFlight: number;
  maxConcurrent: number;
  rateLimited: number;
  /** Start times (epoch ms) of admitted calls in the last minute. */
  window: number[];
  overrides: TenantConfig;
}

export interface State {
  codes: Map<string, Code>;
  grants: Map<string, Grant>;
  /** Every token ever issued (access, current and consumed refresh) → its grant. */
  tokens: Map<string, { grant: Grant; kind: "access" | "refresh" }>;
  tenants: Map<string, TenantState>;
  employees: Map<string, unknown[]>;
  /** Gusto company uuid → how its employees are paged, when a test changed the defaults. */
  gustoPaging: Map<string, GustoPaging>;
  /** `${tenantId}/${reportType}` → the report body a test PUT for a Xero tenant or a QuickBooks realm. */
  reports: Map<string, unknown>;
}

export const createState = (): State => ({
  codes: new Map(),
  grants: new Map(),
  tokens: new Map(),
  tenants: new Map(),
  employees: new Map(),
  gustoPaging: new Map(),
  reports: new Map(),
});

export const DEFAULT_SCOPES: Record<string, string> = {
  xero: "offline_access accounting.reports.profitandloss.read accounting.reports.balancesheet.read",
  gusto: "employees:read companies:read",
  quickbooks: "com.intuit.quickbooks.accounting",
  generic: "read",
};
export const defaultScope = (provider: ProviderKey): string =>
  DEFAULT_SCOPES[provider.startsWith("generic:") ? "generic" : provider] ?? "";

/** A provider's default tenant: id, type and name. */
function tenantDefaults(provider: ProviderKey, i: number): Omit<Tenant, "connectionId"> {
  if (provider === "xero") return { id: uuid(), type: "ORGANISATION", name: `Demo Company ${i + 1}` };
  if (provider === "gusto") return { id: uuid(), type: "COMPANY", name: "Initech" };
  if (provider === "quickbooks") return { id: realmId(), type: "COMPANY", name: "Sandbox Company_US_1" };
  return { ...genericTenant(provider.slice("generic:".length), i), type: "TENANT" };
}

/** Xero organisations a consenting user may tick, in the order /connections lists them. */
const XERO_ORGANISATIONS = ["Demo Company Ltd", "Demo Group Holdings", "Demo Trading", "Demo Services"];

/** Xero's consent with `n` organisations ticked: the practice, then the organisations. */
export function xeroConsent(n: number): TenantInput[] {
  return [
    { type: "PRACTICE" as const, name: "Demo Practice" },
    ...Array.from({ length: n }, (_, i): TenantInput => ({
      type: "ORGANISATION",
      name: XERO_ORGANISATIONS[i] ?? `Demo Company ${i + 1}`,
    })),
  ];
}

/** The tenants a consenting user picks: Xero a practice then an organisation; others one tenant. */
export function tenantsFor(provider: ProviderKey, input?: TenantInput[]): Tenant[] {
  if (input && input.length > 0) {
    return input.map((t, i) => {
      const fallback = tenantDefaults(provider, i);
      const type = provider === "xero" ? (t.type ?? fallback.type) : fallback.type;
      return { id: t.id ?? fallback.id, type, name: t.name ?? fallback.name, connectionId: uuid() };
    });
  }
  if (provider === "xero") {
    return [
      { id: uuid(), type: "PRACTICE", name: "Demo Practice", connectionId: uuid() },
      { id: uuid(), type: "ORGANISATION", name: "Demo Company (UK)", connectionId: uuid() },
    ];
  }
  return [{ ...tenantDefaults(provider, 0), connectionId: uuid() }];
}

export interface GrantOptions {
  provider: ProviderKey;
  scope?: string;
  tenants?: TenantInput[];
  code?: string | null;
  expiresIn?: number;
  refreshExpiresIn?: number;
  refreshTokenOnRefresh?: boolean;
}

export function createGrant(state: State, opts: GrantOptions): Grant {
  const grant: Grant = {
    id: `grant_${uuid()}`,
    provider: opts.provider,
    clientId: clientFor(opts.provider).clientId,
    scope: opts.scope ?? defaultScope(opts.provider),
    tenants: tenantsFor(opts.provider, opts.tenants),
    code: opts.code ?? null,
    authEventId: uuid(),
    createdAt: Date.now(),
    expiresIn: opts.expiresIn ?? DEFAULT_EXPIRES_IN,
    refreshExpiresIn: opts.refreshExpiresIn ?? DEFAULT_EXPIRES_IN,
    refreshTokenOnRefresh: opts.refreshTokenOnRefresh ?? true,
    hardExpiresAt: Date.now() + HARD_EXPIRY_MS,
    accessTokens: new Map(),
    currentAccessToken: "",
    currentRefreshToken: "",
    consumed: new Set(),
    revoked: false,
    revokedReason: null,
    counters: {
      tokenRequests: 0,
      refreshRequests: 0,
      revokeRequests: 0,
      apiRequests: 0,
      inFlightRefresh: 0,
      maxConcurrentRefresh: 0,
    },
    scripts: { token: [], api: [], revoke: [] },
    log: [],
    refreshLog: [],
  };
  state.grants.set(grant.id, grant);
  for (const t of grant.tenants) tenantState(state, t.id, grant.provider);
  issueAccess(state, grant, grant.expiresIn);
  issueRefresh(state, grant);
  return grant;
}

export function issueAccess(state: State, grant: Grant, lifetimeSeconds: number): string {
  const token = randomToken(`${grant.provider.replace(":", "-")}_at`);
  grant.accessTokens.set(token, Date.now() + lifetimeSeconds * 1000);
  grant.currentAccessToken = token;
  state.tokens.set(token, { grant, kind: "access" });
  return token;
}

function issueRefresh(state: State, grant: Grant): string {
  const token = randomToken(`${grant.provider.replace(":", "-")}_rt`);
  grant.currentRefreshToken = token;
  state.tokens.set(token, { grant, kind: "refresh" });
  return token;
}

/** A successful refresh: new access token, and (unless disabled) a rotated refresh token. */
export function rotate(state: State, grant: Grant): { access: string; refresh: string | null } {
  const access = issueAccess(state, grant, grant.refreshExpiresIn);
  if (!grant.refreshTokenOnRefresh) return { access, refresh: null };
  grant.consumed.add(grant.currentRefreshToken);
  return { access, refresh: issueRefresh(state, grant) };
}

export function revokeGrant(grant: Grant, reason: string): void {
  if (grant.revoked) return;
  grant.revoked = true;
  grant.revokedReason = reason;
}

/** Bearer check: the grant the token belongs to, and whether it may be used now. */
export function checkAccess(
  state: State,
  token: string | undefined,
):
  | { ok: true; grant: Grant }
  | { ok: false; grant: Grant | null; reason: "missing" | "unknown" | "expired" | "revoked"; expiredAt?: number } {
  if (!token) return { ok: false, grant: null, reason: "missing" };
  const entry = state.tokens.get(token);
  if (!entry || entry.kind !== "access") return { ok: false, grant: null, reason: "unknown" };
  const { grant } = entry;
  if (grant.revoked) return { ok: false, grant, reason: "revoked" };
  const expiresAt = grant.accessTokens.get(token) ?? 0;
  if (expiresAt <= Date.now()) return { ok: false, grant, reason: "expired", expiredAt: expiresAt };
  return { ok: true, grant };
}

export function tokenResponse(
  grant: Grant,
  access: string,
  refresh: string | null,
  expiresIn: number,
  /** Intuit: the request carried `x-include-refresh-token-hard-expires-in: true`. */
  hardExpiryAsked = false,
): Record<string, unknown> {
  const body: Record<string, unknown> = { access_token: access, expires_in: expiresIn, token_type: "Bearer" };
  if (refresh) body["refresh_token"] = refresh;
  body["scope"] = grant.scope;
  if (grant.provider === "gusto") body["created_at"] = Math.floor(Date.now() / 1000);
  if (grant.provider === "quickbooks") {
    // Intuit: lower-case token type, and the refresh token's remaining life (100 days, rolling).
    body["token_type"] = "bearer";
    body["x_refresh_token_expires_in"] = 8_726_400;
    // Only when asked, as Intuit answers: seconds left until the grant's five years are over.
    if (hardExpiryAsked)
      body["x_refresh_token_hard_expires_in"] = Math.max(0, Math.floor((grant.hardExpiresAt - Date.now()) / 1000));
  }
  return body;
}

export function summary(grant: Grant): GrantSummary {
  const c = grant.counters;
  return {
    grantId: grant.id,
    provider: grant.provider,
    clientId: grant.clientId,
    scope: grant.scope,
    tenantIds: grant.tenants.map((t) => t.id),
    tenants: grant.tenants,
    code: grant.code,
    tokenRequests: c.tokenRequests,
    refreshRequests: c.refreshRequests,
    revokeRequests: c.revokeRequests,
    apiRequests: c.apiRequests,
    revoked: grant.revoked,
    revokedReason: grant.revokedReason,
    currentAccessToken: grant.currentAccessToken,
    currentRefreshToken: grant.currentRefreshToken,
    accessTokenExpiresAt: grant.accessTokens.get(grant.currentAccessToken) ?? 0,
    consumedRefreshTokens: grant.consumed.size,
    inFlightRefresh: c.inFlightRefresh,
    maxConcurrentRefresh: c.maxConcurrentRefresh,
    pendingScripts: {
      token: grant.scripts.token.length,
      api: grant.scripts.api.length,
      revoke: grant.scripts.revoke.length,
    },
  };
}

export function tenantState(state: State, id: string, provider?: ProviderKey): TenantState {
  let ts = state.tenants.get(id);
  if (!ts) {
    ts = {
      id,
      provider: provider ?? null,
      log: [],
      requests: 0,
      inFlight: 0,
      maxConcurrent: 0,
      rateLimited: 0,
      window: [],
      overrides: {},
    };
    state.tenants.set(id, ts);
  } else if (provider && !ts.provider) ts.provider = provider;
  return ts;
}

export function tenantConfig(ts: TenantState): Required<TenantConfig> {
  const defaults =
    ts.provider === "xero"
      ? { latencyMs: 0, concurrentLimit: 5, minuteLimit: 60 }
      : ts.provider === "gusto"
        ? { latencyMs: 0, concurrentLimit: 0, minuteLimit: 200 }
        : ts.provider === "quickbooks"
          ? // Intuit: 500 requests a minute per realm; more than 10 concurrent ones get 429s.
            { latencyMs: 0, concurrentLimit: 10, minuteLimit: 500 }
          : { latencyMs: 0, concurrentLimit: 0, minuteLimit: 0 };
  return { ...defaults, ...ts.overrides };
}

/** How the fake Gusto pages `company`'s employees: the test's settings over the defaults. */
export const gustoPaging = (state: State, company: string): Required<GustoPaging> => ({
  largestPage: 50,
  totalPagesHeader: true,
  ...state.gustoPaging.get(company),
});

export const tenantStats = (ts: TenantState): TenantStats => ({
  tenantId: ts.id,
  requests: ts.requests,
  inFlight: ts.inFlight,
  maxConcurrent: ts.maxConcurrent,
  rateLimited: ts.rateLimited,
  config: tenantConfig(ts),
});
