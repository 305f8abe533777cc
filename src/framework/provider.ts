// The provider contract: what a provider module declares (`defineProvider`), its name included;
// everything shared (routes, state, token storage, refresh, scheduling) lives in the framework and
// the workspace object, not in a provider.
import type { DataBatch, EmployeeRow } from "./data";
import type { OAuthClient } from "./oauth/client";
import type { OAuthApp, OAuthAppDefaults, TokenResponse } from "./oauth/types";
import type { ProviderWebhooks } from "./provider-events";
import type { ProviderApi } from "./provider-http";

/** The two normalized data shapes a provider can feed (the adapter types of Zebbra's original framework). */
export type ApiType = "accounting" | "payroll";

/**
 * A tenant (company) a grant covers, as the provider names it: each one the user picks becomes a
 * connection of its own.
 */
export interface TenantInfo {
  /** The provider's id of the company (Xero organisation id, QuickBooks realm id, Gusto company uuid). */
  tenantId: string;
  /** Its name, when the provider gives one; shown to the user choosing and in listings. */
  tenantName?: string | null;
  /** The provider's kind of tenant, when it has kinds (Xero: ORGANISATION, PRACTICE). */
  tenantType?: string | null;
  /** False for a tenant the grant lists but whose data cannot be read here (a Xero practice). Default true. */
  readable?: boolean;
  /** Provider-specific facts stored on the connection (Xero: the connection id that removes it). */
  additionalInfo?: Record<string, unknown>;
}

/** What a provider's `getData` works with. Tokens come from the workspace's Durable Object. */
export interface FetchContext {
  /** The provider's API with the connection's bearer token, its rate limit and 429 handling applied. */
  api: ProviderApi;
  /** The connection's tenant (Xero organisation id, Gusto company uuid, QuickBooks realm id), as found on connecting. */
  tenantId: string | null;
  /**
   * First day of the data wanted, `YYYY-MM-DD`: the first day of the month of the 12-month batch rule's cache
   * date, so one fetch serves every from_date that shares the cache entry.
   */
  fromDate: string;
  /** Logs a warning. Never pass names, amounts or tokens. */
  warn: (message: string) => void;
}

/**
 * One input a connection needs before its consent can start (a subdomain, a data-centre region),
 * given in the connect session's `config` and stored on the connection. The provider's URLs may use
 * it as a `{name}` placeholder; the value is checked against `pattern` or `values`, then URL-escaped.
 */
export interface ConnectionConfigField {
  /** Shown in errors, listings and docs, e.g. "Your BambooHR subdomain (<subdomain>.bamboohr.com)". */
  description: string;
  /**
   * The whole value must match (it is anchored for you). The registry refuses a pattern with the `m`
   * or `y` flag or one that matches a dot; a matching value is still refused when it is a label
   * providers keep for their own hosts (`www`, `api`, … RESERVED_LABELS) or punycode (`xn--`).
   */
  pattern?: RegExp;
  /** Or the value must be one of these. One of `pattern` and `values` is required. */
  values?: readonly string[];
  /** A valid value, for docs and the contract test. */
  example: string;
}

/** What the proxy's hooks know of a connection. */
export interface ProxyContext {
  tenantId: string | null;
  /** The connection's `connectionConfig` values. */
  config: Readonly<Record<string, string>>;
  /** The OAuth app's client id (MYOB wants it as an API key header). */
  clientId: string;
}

/**
 * Where a provider's API takes the tenant a call is for. The proxy puts the connection's tenant there
 * on every call, and refuses (invalid_request) a call whose own value there names another tenant; a
 * value equal to the connection's passes.
 */
export type TenantPin =
  /** A request header (Xero: `Xero-Tenant-Id`; Sage: `X-Business`). */
  | { header: string }
  /** A query parameter (Zoho Books: `organization_id`). */
  | { query: string }
  | {
      /**
       * The leading path segments that name the tenant, `{tenant}` standing for its id once:
       * `v3/company/{tenant}` (QuickBooks), `accounting/account/{tenant}` (FreshBooks).
       */
      path: string;
      /**
       * True: a path that names no tenant is put under `path` (every QuickBooks resource is a
       * company's). False: it is sent as it is (FreshBooks' `auth/api/v1/users/me` belongs to no account).
       */
      prefix: boolean;
      /**
       * What a tenant id looks like, for a `path` whose tenant segment could also be a resource's
       * name (MYOB: `{tenant}`, a GUID). Default: any segment names a tenant.
       */
      id?: RegExp;
    };

/** How `/integration/proxy/<provider>/<path>` reaches the provider's API, beyond the bearer token. */
export interface ProxyHooks {
  /** Where the connection's tenant goes on every call (see TenantPin); omit when the token names it. */
  tenant?: TenantPin;
  /** Other headers every call needs (MYOB: its API key and version). */
  headers?: (ctx: ProxyContext) => Record<string, string>;
}

/** Per-tenant limits of a provider's API, enforced by the workspace's object. */
export interface RateLimit {
  concurrent: number;
  perMinute: number;
}

interface ProviderBase {
  /** Human-readable name for pages and listings, e.g. "QuickBooks Online". Defaults to the registry name. */
  displayName?: string;
  /** The provider's API documentation, linked from docs/providers.md. */
  docsUrl?: string;
  /**
   * The OAuth app's defaults (the `resolveOAuthApp` arguments of Zebbra's original framework); every URL and the scopes are
   * overridable by `<NAME>_*` variables. URLs may hold `{field}` placeholders of `connectionConfig`.
   */
  oauth: OAuthAppDefaults;
  /** Inputs each connection needs (see ConnectionConfigField); omit when there are none. */
  connectionConfig?: Readonly<Record<string, ConnectionConfigField>>;
  /**
   * Why `oauth.scopes` holds no `offline_access` equivalent, for a provider that needs none (it always
   * returns a refresh token, or has none to give). The contract test asks for one or the other.
   */
  offlineAccessNote?: string;
  /**
   * Lists every tenant the grant covers (Xero organisations, the Gusto company) right after the code
   * exchange, with the new access token; the user picks among the readable ones at confirm. Throwing
   * (or listing none) aborts the connection: nothing is stored. Omit for a provider without tenants:
   * its connection has none (`tenant_id` null).
   */
  lookupTenants?: (api: ProviderApi, tokens: TokenResponse) => Promise<TenantInfo[]>;
  /**
   * For a provider that names the tenant in the callback's query instead (QuickBooks: `realmId`).
   * Runs before the code exchange, and replaces `lookupTenants`. Null (the tenant is missing or
   * malformed) refuses the callback with a 400 page: the code is not exchanged and nothing is stored.
   */
  tenantFromCallback?: (query: URLSearchParams) => TenantInfo | null;
  /**
   * Checks, with the new token, that the grant really covers the tenant the callback named (the
   * callback's query is the user's to edit) and returns it with its name. Throwing fails the
   * callback: nothing is stored.
   */
  verifyTenant?: (api: ProviderApi, tenant: TenantInfo) => Promise<TenantInfo>;
  /**
   * Drops one tenant from a grant that other connections still use, when the provider can (Xero:
   * `DELETE /connections/{id}`); otherwise disconnecting a tenant of a shared grant only forgets it here.
   */
  removeTenant?: (
    api: ProviderApi,
    tenant: { tenantId: string; additionalInfo: Record<string, unknown> },
  ) => Promise<void>;
  /**
   * Only for a provider whose refresh is more than the standard refresh grant (RFC 6749 §6); the
   * default sends that grant through `client`. Throw TokenEndpointError to classify failures.
   */
  performTokenRefresh?: (client: OAuthClient, app: OAuthApp, refreshToken: string) => Promise<TokenResponse>;
  /**
   * Whether a refresh whose answer never came (a timeout) may be sent again with the same refresh
   * token. True only for providers that accept a used refresh token again for a while (Xero: 30
   * minutes; Gusto: until the new access token is first used); otherwise the connection is marked
   * for a reconnect instead of risking reuse detection revoking the grant. Default false.
   */
  refreshRetryAfterTimeout?: boolean;
  /** Refresh this long before expiry. Default: min(5 minutes, half the token's lifetime). */
  refreshMarginMs?: number;
  /**
   * Refresh tokens unused for this long are refreshed by the cron keep-alive pass, for providers
   * whose refresh tokens expire when idle (Xero: 60 days). Omit when they don't.
   */
  keepAliveAfterMs?: number;
  /**
   * The version of what `getData` returns, 1 when omitted. Raise it whenever the same provider answer
   * would now be read differently (a column's meaning, a line's name): cached entries of an older
   * version are never served as fresh, and the next read or cron tick fetches them again.
   */
  dataFormat?: number;
  /** The API's per-tenant limits, if it has any. */
  rateLimit?: RateLimit;
  /** The proxy's provider-specific parts (where the tenant goes, extra headers); omit when there are none. */
  proxy?: ProxyHooks;
  /**
   * The provider's change notifications, received at `POST /integration/<name>/webhooks`: how they
   * are signed and what tenant and kind of change each names (src/framework/provider-events.ts).
   * Omit when the provider sends none; the route then answers 404.
   */
  webhooks?: ProviderWebhooks;
  /**
   * Offered only where ENVIRONMENT=development (the built-in sandbox): elsewhere it is left out of
   * every listing, its routes answer 404 and the cron and the workspace object ignore it.
   */
  developmentOnly?: boolean;
}

/** An accounting provider: its data becomes a DataBatch (titles × month ends). */
export interface AccountingProvider extends ProviderBase {
  apiType: "accounting";
  getData: (ctx: FetchContext) => Promise<DataBatch>;
}

/** A payroll provider: its data becomes employee rows. */
export interface PayrollProvider extends ProviderBase {
  apiType: "payroll";
  getData: (ctx: FetchContext) => Promise<EmployeeRow[]>;
}

/** A provider without an adapter: connections, their tokens and the proxy, no data routes (`api_type: null`). */
export interface OAuthOnlyProvider extends ProviderBase {
  apiType: null;
  getData?: never;
}

/** A provider's declaration, as `defineProvider` takes it (without its name). */
export type ProviderDefinition = AccountingProvider | PayrollProvider | OAuthOnlyProvider;

/** Every field some kind of provider declares: anything else in a declaration is a typo. */
type DefinitionKey = keyof AccountingProvider | keyof PayrollProvider | keyof OAuthOnlyProvider;

/** A declaration with its registry name, as `src/providers/<folder>/index.ts` exports it by default. */
export type NamedProviderDefinition<N extends string = string> = ProviderDefinition & { readonly name: N };

/**
 * What every `src/providers/<folder>/index.ts` exports by default: its declaration, typed as written
 * (so `IntegrationProvider` is the union of the literal names) and checked as `satisfies` would
 * check it, unknown fields included. `name` is the registry name (`QuickBooks`); its lower case
 * must be the folder's name (the registry checks).
 */
export function defineProvider<const N extends string, D extends ProviderDefinition>(
  definition: D & { readonly name: N } & { readonly [K in Exclude<keyof D, DefinitionKey | "name">]: never },
): D & { readonly name: N } {
  return definition;
}

/** A provider as the registry hands it out: its declaration plus its name and the names derived from it. */
export type RegisteredProvider<N extends string = string> = ProviderDefinition & {
  readonly name: N;
  /** Lower-case name: URL segment and folder name. */
  readonly slug: string;
  /** Upper-case name: prefix of the provider's configuration variables. */
  readonly envPrefix: string;
};

/** The version of a provider's cached data format (see `dataFormat`). */
export function dataFormatOf(provider: ProviderDefinition): number {
  return provider.dataFormat ?? 1;
}

/** The name shown to people: the declared display name, else the registry name. */
export function displayName(provider: RegisteredProvider): string {
  return provider.displayName ?? provider.name;
}
