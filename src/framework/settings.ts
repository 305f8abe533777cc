// Every setting read from the environment, by name, here and nowhere else. Optional variables
// (provider credentials, URL overrides, tuning) are not in the generated Env, so they are read by name.
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./webhooks";

/** Secrets the service cannot run without; the edge answers 503 naming any that is missing. */
export const REQUIRED_SECRETS = ["AUTH_JWT_SECRET", "TOKEN_ENCRYPTION_KEY"] as const;

/** The required secrets that are unset or empty. */
export function missingSecrets(env: Env): string[] {
  return REQUIRED_SECRETS.filter((name) => readVar(env, name) === undefined);
}

/** An optional string variable, or undefined when unset or empty. */
export function readVar(env: Env, name: string): string | undefined {
  const value: unknown = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** An optional numeric variable, or `fallback` when unset, not a number or below `min`. */
function readNumber(env: Env, name: string, fallback: number, min = 0): number {
  const text = readVar(env, name);
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value >= min ? value : fallback;
}

export interface LifecycleSettings {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  /** Longest Retry-After the object waits out; longer ones are passed to the caller. */
  maxWaitMs: number;
}

export function lifecycleSettings(env: Env): LifecycleSettings {
  return {
    timeoutMs: readNumber(env, "TOKEN_REFRESH_TIMEOUT_MS", 10_000, 1),
    retries: readNumber(env, "TOKEN_REFRESH_RETRIES", 3),
    backoffMs: readNumber(env, "TOKEN_REFRESH_BACKOFF_MS", 500),
    maxWaitMs: readNumber(env, "TOKEN_REFRESH_MAX_WAIT_MS", 30_000),
  };
}

export interface DispatchSettings {
  /** Data older than this is refetched (default 50 minutes: every hourly tick). */
  refreshAfterMs: number;
  /** Keys asked for within this window are kept warm (default 30 days). */
  retentionMs: number;
}

export function dispatchSettings(env: Env): DispatchSettings {
  return {
    refreshAfterMs: readNumber(env, "CACHE_REFRESH_AFTER_MS", 50 * 60_000, 1),
    retentionMs: readNumber(env, "CACHE_RETENTION_MS", 30 * 24 * 3600_000, 1),
  };
}

/** How long the fetch log is kept. */
export function fetchRunsRetentionMs(env: Env): number {
  return readNumber(env, "FETCH_RUNS_RETENTION_MS", 30 * 24 * 3600_000, 1);
}

/** The longest a provider's events wait to be gathered into one re-fetch: the freshness goal is a minute. */
export const MAX_PROVIDER_EVENT_DEBOUNCE_MS = 60_000;

/**
 * How long a connection's provider events are gathered before its one re-fetch
 * (PROVIDER_EVENT_DEBOUNCE_MS, default 30 s, at most 60 s): every event of the window costs one fetch.
 */
export function providerEventDebounceMs(env: Env): number {
  return Math.min(readNumber(env, "PROVIDER_EVENT_DEBOUNCE_MS", 30_000), MAX_PROVIDER_EVENT_DEBOUNCE_MS);
}

/** True when ENVIRONMENT=development: a local run, where the sandbox and the dev console are on. */
export function isDevelopment(env: Env): boolean {
  return readVar(env, "ENVIRONMENT") === "development";
}

/**
 * SHA-256 (hex) of the secret values `.dev.vars.example` publishes: a deploy that kept one is not
 * safe. Hashes, so the published values are not in the bundle twice; test/node/config.test.ts
 * keeps them equal to the file.
 */
export const PUBLISHED_SECRET_HASHES: Readonly<Record<string, string>> = {
  AUTH_JWT_SECRET: "4d083ff035f1999359fab3b7b74d47e0b4b8b68cc7921dddd7412c44265e9379",
  TOKEN_ENCRYPTION_KEY: "050421bcdd982149d62b383c3f0b8fa7d7f2a0ebc03af884c18d261618bdb095",
};

/** The host app's origins: APP_ORIGIN, comma separated; the first is the default a connect posts back to. */
export function appOrigins(env: Env): string[] {
  return (readVar(env, "APP_ORIGIN") ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

/**
 * Where a connect goes back to: `returnTo` (an absolute http(s) URL on one of the app origins) and the
 * origin the callback page may post to (`appOrigin` if given, else returnTo's, else `requestOrigin`
 * when it is an app origin, else the first). Null fields are refused as invalid_return_to.
 */
export function connectTarget(
  env: Env,
  input: { returnTo?: string | undefined; appOrigin?: string | undefined; requestOrigin?: string | undefined },
): { ok: true; appOrigin: string; returnTo: string | null } | { ok: false; message: string } {
  const origins = appOrigins(env);
  let returnTo: string | null = null;
  if (input.returnTo !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(input.returnTo);
    } catch {
      url = null;
    }
    if (!url || !["https:", "http:"].includes(url.protocol) || !origins.includes(url.origin) || url.username !== "")
      return { ok: false, message: "return_to must be an absolute URL on one of the host app's origins (APP_ORIGIN)" };
    returnTo = url.toString();
  }
  if (input.appOrigin !== undefined && !origins.includes(input.appOrigin))
    return { ok: false, message: "app_origin must be one of the host app's origins (APP_ORIGIN)" };
  const fromRequest =
    input.requestOrigin !== undefined && origins.includes(input.requestOrigin) ? input.requestOrigin : undefined;
  const appOrigin =
    input.appOrigin ?? (returnTo ? new URL(returnTo).origin : undefined) ?? fromRequest ?? origins[0] ?? "";
  return { ok: true, appOrigin, returnTo };
}

/** Whether `value` is exactly an origin (scheme, host and port, nothing more), http(s) only. */
function isOrigin(value: string, httpsOnly: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const schemes = httpsOnly ? ["https:"] : ["https:", "http:"];
  return schemes.includes(url.protocol) && url.origin === value;
}

/** JWT verification settings: issuer and audience (empty: not checked) and the longest lifetime accepted. */
export interface AuthSettings {
  secret: string;
  issuer: string | undefined;
  audience: string | undefined;
  /** The most `exp − iat` may be, in seconds (AUTH_JWT_MAX_TTL_S, default 3600). */
  maxTtlSeconds: number;
}

export function authSettings(env: Env): AuthSettings {
  const ttl = readVar(env, "AUTH_JWT_MAX_TTL_S");
  return {
    secret: readVar(env, "AUTH_JWT_SECRET") ?? "",
    issuer: readVar(env, "AUTH_JWT_ISSUER"),
    audience: readVar(env, "AUTH_JWT_AUDIENCE"),
    maxTtlSeconds: ttl === undefined ? 3600 : Number(ttl),
  };
}

/** One thing that makes this deployment refuse to serve: the variable and what is wrong with it. */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * What is unsafe or unusable in this deployment's configuration. Everywhere: a missing required
 * secret, an APP_ORIGIN entry that is not exactly an origin (`*` included), a bad AUTH_JWT_MAX_TTL_S.
 * Outside development also: a secret `.dev.vars.example` publishes, an AUTH_JWT_SECRET under 32
 * bytes, an empty AUTH_JWT_ISSUER or AUTH_JWT_AUDIENCE, an APP_ORIGIN that is not https.
 */
export async function configProblems(env: Env): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = missingSecrets(env).map((variable) => ({ variable, problem: "is not set" }));
  const development = isDevelopment(env);
  const origins = appOrigins(env);
  if (origins.length === 0) problems.push({ variable: "APP_ORIGIN", problem: "is not set" });
  for (const origin of origins) {
    if (!isOrigin(origin, !development))
      problems.push({
        variable: "APP_ORIGIN",
        problem: `"${origin === "*" ? "*" : "an entry"}" is not exactly ${development ? "an" : "an https"} origin`,
      });
  }
  const ttl = authSettings(env).maxTtlSeconds;
  if (!Number.isInteger(ttl) || ttl < 1)
    problems.push({ variable: "AUTH_JWT_MAX_TTL_S", problem: "is not a whole number of seconds above 0" });
  if (development) return problems;
  const { secret, issuer, audience } = authSettings(env);
  if (secret !== "" && new TextEncoder().encode(secret).byteLength < 32)
    problems.push({ variable: "AUTH_JWT_SECRET", problem: "is shorter than 32 bytes" });
  if (issuer === undefined) problems.push({ variable: "AUTH_JWT_ISSUER", problem: "is empty" });
  if (audience === undefined) problems.push({ variable: "AUTH_JWT_AUDIENCE", problem: "is empty" });
  for (const [variable, published] of Object.entries(PUBLISHED_SECRET_HASHES)) {
    const value = readVar(env, variable);
    if (value === undefined) continue;
    const hash = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
    if (hash === published) problems.push({ variable, problem: "is the value .dev.vars.example publishes" });
  }
  return problems;
}

/** Whether a request reached this worker on a loopback host (127.0.0.0/8, ::1, localhost): a local run. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The worker's public base URL: PUBLIC_URL when set, else the request's origin. */
export function publicBase(env: Env, requestUrl: string): string {
  const configured = readVar(env, "PUBLIC_URL");
  return configured ? configured.replace(/\/+$/, "") : new URL(requestUrl).origin;
}

/** Upstream work one workspace may cause per hour (the proxy: per minute); each is a 429 with Retry-After past its limit. */
export interface WorkspaceLimits {
  /** Cache keys fetched on a miss (a read of a new from_date month). */
  newKeysPerHour: number;
  /** POST /integration/fetch calls. */
  fetchesPerHour: number;
  /** Connections started (connect sessions and direct logins). */
  connectSessionsPerHour: number;
  /** On-demand keys the cron keeps warm per connection; the oldest beyond it are dropped. */
  warmKeysPerConnection: number;
  /** Calls through the proxy per minute (LIMIT_PROXY_CALLS_PER_MINUTE); a 429 past it. */
  proxyCallsPerMinute: number;
  /** POST /integration/webhooks/events/{id}/redeliver calls per hour. */
  webhookRedeliveriesPerHour: number;
}

export function workspaceLimits(env: Env): WorkspaceLimits {
  return {
    newKeysPerHour: readNumber(env, "LIMIT_NEW_KEYS_PER_HOUR", 60, 1),
    fetchesPerHour: readNumber(env, "LIMIT_FETCHES_PER_HOUR", 30, 1),
    connectSessionsPerHour: readNumber(env, "LIMIT_CONNECT_SESSIONS_PER_HOUR", 30, 1),
    warmKeysPerConnection: readNumber(env, "WARM_KEYS_PER_CONNECTION", 24, 1),
    proxyCallsPerMinute: readNumber(env, "LIMIT_PROXY_CALLS_PER_MINUTE", 120, 1),
    webhookRedeliveriesPerHour: readNumber(env, "LIMIT_WEBHOOK_REDELIVERIES_PER_HOUR", 30, 1),
  };
}

/** Outgoing webhooks (docs/webhooks.md). `url` undefined: webhooks are off and no event is recorded. */
export interface WebhookSettings {
  url: string | undefined;
  secret: string | undefined;
  /** Comma-separated `whsec_` secrets still signed with during a rotation. */
  previousSecrets: string;
  /** How long one delivery attempt may take (default 10 s). */
  timeoutMs: number;
  /** The event types recorded and sent (WEBHOOK_EVENTS); every type when unset. */
  events: ReadonlySet<WebhookEventType>;
  /** How long a delivered event stays listed and redeliverable (default 7 days). */
  deliveredRetentionMs: number;
  /** The value checkWebhookUrl needs: http on localhost only in development. */
  environment: string | undefined;
}

export function webhookSettings(env: Env): WebhookSettings {
  return {
    url: readVar(env, "WEBHOOK_URL"),
    secret: readVar(env, "WEBHOOK_SECRET"),
    previousSecrets: readVar(env, "WEBHOOK_PREVIOUS_SECRETS") ?? "",
    timeoutMs: readNumber(env, "WEBHOOK_TIMEOUT_MS", 10_000, 1),
    events: readEventTypes(readVar(env, "WEBHOOK_EVENTS")),
    deliveredRetentionMs: readNumber(env, "WEBHOOK_DELIVERED_RETENTION_MS", 7 * 24 * 3600_000),
    environment: readVar(env, "ENVIRONMENT"),
  };
}

/**
 * A comma-separated list of event types. Unset, or naming a type that does not exist, it means every
 * type: a typo must not silently stop events the host app relies on.
 */
function readEventTypes(list: string | undefined): ReadonlySet<WebhookEventType> {
  const all = new Set<WebhookEventType>(WEBHOOK_EVENT_TYPES);
  if (list === undefined) return all;
  const named = list
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  const known = (t: string): t is WebhookEventType => (all as ReadonlySet<string>).has(t);
  return named.length > 0 && named.every(known) ? new Set(named.filter(known)) : all;
}

/** The proxy's limits (docs/proxy.md). */
export interface ProxySettings {
  /** Largest request body forwarded (default 1 MiB). */
  maxRequestBytes: number;
  /** Largest response body passed back (default 10 MiB); a longer one is cut off with an error. */
  maxResponseBytes: number;
  /** The longest provider Retry-After the proxy waits out (default 10 s); a longer one is passed back. */
  maxWaitMs: number;
  /** How long the provider may take to answer (default 30 s). */
  timeoutMs: number;
}

export function proxySettings(env: Env): ProxySettings {
  return {
    maxRequestBytes: readNumber(env, "PROXY_MAX_REQUEST_BYTES", 1024 * 1024, 1),
    maxResponseBytes: readNumber(env, "PROXY_MAX_RESPONSE_BYTES", 10 * 1024 * 1024, 1),
    maxWaitMs: readNumber(env, "PROXY_MAX_WAIT_MS", 10_000),
    timeoutMs: readNumber(env, "PROXY_TIMEOUT_MS", 30_000, 1),
  };
}
