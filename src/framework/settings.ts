// Every setting read from the environment, by name, here and nowhere else: one zod schema parses
// them, once per env object, and a malformed value is a problem the edge answers 503 for (naming the
// variable) rather than a default put in its place. ENVIRONMENT, APP_ORIGIN and PUBLIC_URL are also
// read directly: that refusal needs them when the rest does not parse. Provider credentials and URL
// overrides have per-provider names, so framework/oauth/app.ts reads those by name (readVar).
import * as z from "zod/mini";
import { FailureError } from "./failure";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./webhooks";
import { DAY_MS, MINUTE_MS, SECOND_MS } from "./durations";

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

/** A variable as text, trimmed; unset, empty or blank is undefined (a `[vars]` number becomes its text). */
const given = (value: unknown) =>
  typeof value === "number"
    ? String(value)
    : typeof value === "string" && value.trim() !== ""
      ? value.trim()
      : undefined;

const text = z.transform(given);

/** A whole number of at least `min`, `fallback` when unset. */
const whole = (fallback: number, min = 0) => {
  const message = `is not a whole number of at least ${min}`;
  const digits = z.string().check(z.regex(/^\d+$/, message));
  const number = z.pipe(z.pipe(digits, z.transform(Number)), z.number().check(z.gte(min, message)));
  return z.pipe(text, z._default(number, fallback));
};

/**
 * A comma-separated list of event types. Unset, or naming a type that does not exist, it means every
 * type: a typo must not silently stop events the host app relies on.
 */
const eventTypes = z.transform((value: unknown): ReadonlySet<WebhookEventType> => {
  const list = given(value);
  const all = new Set<WebhookEventType>(WEBHOOK_EVENT_TYPES);
  if (list === undefined) return all;
  const named = list
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  const known = (t: string): t is WebhookEventType => (all as ReadonlySet<string>).has(t);
  return named.length > 0 && named.every(known) ? new Set(named.filter(known)) : all;
});

/** Every fixed-name setting, and its default (docs/configuration.md lists the same). */
const variables = z.object({
  AUTH_JWT_SECRET: text,
  AUTH_JWT_ISSUER: text,
  AUTH_JWT_AUDIENCE: text,
  AUTH_JWT_MAX_TTL_S: whole(3600, 1),
  ENVIRONMENT: text,
  TOKEN_REFRESH_TIMEOUT_MS: whole(10_000, 1),
  TOKEN_REFRESH_RETRIES: whole(3),
  TOKEN_REFRESH_BACKOFF_MS: whole(500),
  TOKEN_REFRESH_MAX_WAIT_MS: whole(30 * SECOND_MS),
  CACHE_REFRESH_AFTER_MS: whole(50 * MINUTE_MS, 1),
  CACHE_RETENTION_MS: whole(30 * DAY_MS, 1),
  FETCH_RUNS_RETENTION_MS: whole(30 * DAY_MS, 1),
  LIMIT_NEW_KEYS_PER_HOUR: whole(60, 1),
  LIMIT_FETCHES_PER_HOUR: whole(30, 1),
  LIMIT_CONNECT_SESSIONS_PER_HOUR: whole(30, 1),
  WARM_KEYS_PER_CONNECTION: whole(24, 1),
  LIMIT_PROXY_CALLS_PER_MINUTE: whole(120, 1),
  LIMIT_WEBHOOK_REDELIVERIES_PER_HOUR: whole(30, 1),
  WEBHOOK_URL: text,
  WEBHOOK_SECRET: text,
  WEBHOOK_PREVIOUS_SECRETS: text,
  WEBHOOK_TIMEOUT_MS: whole(10_000, 1),
  WEBHOOK_EVENTS: eventTypes,
  WEBHOOK_DELIVERED_RETENTION_MS: whole(7 * DAY_MS),
  PROXY_MAX_REQUEST_BYTES: whole(1024 * 1024, 1),
  PROXY_MAX_RESPONSE_BYTES: whole(10 * 1024 * 1024, 1),
  PROXY_MAX_WAIT_MS: whole(10_000),
  PROXY_TIMEOUT_MS: whole(30 * SECOND_MS, 1),
  PROVIDER_EVENT_DEBOUNCE_MS: whole(30 * SECOND_MS, 1),
  ADMIN_API_TOKEN: text,
});

const settingsSchema = z.pipe(
  variables,
  z.transform((v: z.output<typeof variables>) => ({
    auth: {
      secret: v.AUTH_JWT_SECRET ?? "",
      issuer: v.AUTH_JWT_ISSUER,
      audience: v.AUTH_JWT_AUDIENCE,
      maxTtlSeconds: v.AUTH_JWT_MAX_TTL_S,
    } satisfies AuthSettings,
    lifecycle: {
      timeoutMs: v.TOKEN_REFRESH_TIMEOUT_MS,
      retries: v.TOKEN_REFRESH_RETRIES,
      backoffMs: v.TOKEN_REFRESH_BACKOFF_MS,
      maxWaitMs: v.TOKEN_REFRESH_MAX_WAIT_MS,
    } satisfies LifecycleSettings,
    dispatch: {
      refreshAfterMs: v.CACHE_REFRESH_AFTER_MS,
      retentionMs: v.CACHE_RETENTION_MS,
    } satisfies DispatchSettings,
    fetchRunsRetentionMs: v.FETCH_RUNS_RETENTION_MS,
    limits: {
      newKeysPerHour: v.LIMIT_NEW_KEYS_PER_HOUR,
      fetchesPerHour: v.LIMIT_FETCHES_PER_HOUR,
      connectSessionsPerHour: v.LIMIT_CONNECT_SESSIONS_PER_HOUR,
      warmKeysPerConnection: v.WARM_KEYS_PER_CONNECTION,
      proxyCallsPerMinute: v.LIMIT_PROXY_CALLS_PER_MINUTE,
      webhookRedeliveriesPerHour: v.LIMIT_WEBHOOK_REDELIVERIES_PER_HOUR,
    } satisfies WorkspaceLimits,
    webhooks: {
      url: v.WEBHOOK_URL,
      secret: v.WEBHOOK_SECRET,
      previousSecrets: v.WEBHOOK_PREVIOUS_SECRETS ?? "",
      timeoutMs: v.WEBHOOK_TIMEOUT_MS,
      events: v.WEBHOOK_EVENTS,
      deliveredRetentionMs: v.WEBHOOK_DELIVERED_RETENTION_MS,
      environment: v.ENVIRONMENT,
    } satisfies WebhookSettings,
    proxy: {
      maxRequestBytes: v.PROXY_MAX_REQUEST_BYTES,
      maxResponseBytes: v.PROXY_MAX_RESPONSE_BYTES,
      maxWaitMs: v.PROXY_MAX_WAIT_MS,
      timeoutMs: v.PROXY_TIMEOUT_MS,
    } satisfies ProxySettings,
    providerEventDebounceMs: Math.min(v.PROVIDER_EVENT_DEBOUNCE_MS, MAX_PROVIDER_EVENT_DEBOUNCE_MS),
    adminApiToken: v.ADMIN_API_TOKEN,
  })),
);

/** The settings of one deployment, grouped by who uses them. */
export type Settings = z.output<typeof settingsSchema>;

type Parsed = { ok: true; settings: Settings } | { ok: false; problems: ConfigProblem[] };

/** An isolate's bindings never change: each env object is parsed once, however hot the path that asks. */
const parsedByEnv = new WeakMap<object, Parsed>();

function parse(env: Env): Parsed {
  let parsed = parsedByEnv.get(env);
  if (parsed === undefined) {
    const result = settingsSchema.safeParse(env);
    parsed = result.success
      ? { ok: true, settings: result.data }
      : {
          ok: false,
          problems: result.error.issues.map((issue) => ({
            variable: String(issue.path[0]),
            problem: issue.message,
            kind: "invalid" as const,
          })),
        };
    parsedByEnv.set(env, parsed);
  }
  return parsed;
}

/** The variables whose value is malformed (not a whole number, below its minimum). */
export function settingProblems(env: Env): ConfigProblem[] {
  const parsed = parse(env);
  return parsed.ok ? [] : parsed.problems;
}

/**
 * This deployment's settings. A malformed value is a `service_not_configured` failure naming it: the
 * edge refuses every route first (configProblems), so only the cron and the queues meet it here.
 */
export function settings(env: Env): Settings {
  const parsed = parse(env);
  if (parsed.ok) return parsed.settings;
  const named = parsed.problems.map((p) => `${p.variable} ${p.problem}`).join("; ");
  throw new FailureError("service_not_configured", `This service is not configured: fix ${named}`);
}

export interface LifecycleSettings {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  /** Longest Retry-After the object waits out; longer ones are passed to the caller. */
  maxWaitMs: number;
}

export function lifecycleSettings(env: Env): LifecycleSettings {
  return settings(env).lifecycle;
}

export interface DispatchSettings {
  /** Data older than this is refetched (default 50 minutes: every hourly tick). */
  refreshAfterMs: number;
  /** Keys asked for within this window are kept warm (default 30 days). */
  retentionMs: number;
}

export function dispatchSettings(env: Env): DispatchSettings {
  return settings(env).dispatch;
}

/** How long the fetch log is kept. */
export function fetchRunsRetentionMs(env: Env): number {
  return settings(env).fetchRunsRetentionMs;
}

/** The longest a provider's events wait to be gathered into one re-fetch: the freshness goal is a minute. */
export const MAX_PROVIDER_EVENT_DEBOUNCE_MS = MINUTE_MS;

/**
 * How long a connection's provider events are gathered before its one re-fetch
 * (PROVIDER_EVENT_DEBOUNCE_MS, default 30 s, at most 60 s): every event of the window costs one fetch.
 */
export function providerEventDebounceMs(env: Env): number {
  return settings(env).providerEventDebounceMs;
}

/** The operator's bearer token for `/admin/*` (ADMIN_API_TOKEN); undefined when unset, and `/admin/*` is then 404. */
export function adminApiToken(env: Env): string | undefined {
  return settings(env).adminApiToken;
}

/** An operator token shorter than this is refused (the deploy answers 503): it guards every workspace's tokens. */
export const MIN_ADMIN_TOKEN_BYTES = 32;

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
  return settings(env).auth;
}

/**
 * One thing that makes this deployment refuse to serve: the variable, what is wrong with it, and its
 * kind. A `missing` secret or an `invalid` value (malformed, e.g. not a number) may be named to anyone:
 * that gives nothing away. An `unsafe` value is named to callers only in development.
 */
export interface ConfigProblem {
  variable: string;
  problem: string;
  kind: "missing" | "invalid" | "unsafe";
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * What is unsafe or unusable in this deployment's configuration. Everywhere: a missing required
 * secret, an APP_ORIGIN entry that is not exactly an origin (`*` included), a malformed setting
 * (settingProblems), an ADMIN_API_TOKEN under 32 bytes. Outside development also: a secret `.dev.vars.example` publishes, an
 * AUTH_JWT_SECRET under 32 bytes, an empty AUTH_JWT_ISSUER or AUTH_JWT_AUDIENCE, an APP_ORIGIN that
 * is not https.
 */
export async function configProblems(env: Env): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = missingSecrets(env).map((variable) => ({
    variable,
    problem: "is not set",
    kind: "missing",
  }));
  const development = isDevelopment(env);
  const origins = appOrigins(env);
  const unsafe = (variable: string, problem: string) => problems.push({ variable, problem, kind: "unsafe" });
  if (origins.length === 0) problems.push({ variable: "APP_ORIGIN", problem: "is not set", kind: "missing" });
  for (const origin of origins) {
    if (!isOrigin(origin, !development))
      unsafe(
        "APP_ORIGIN",
        `"${origin === "*" ? "*" : "an entry"}" is not exactly ${development ? "an" : "an https"} origin`,
      );
  }
  problems.push(...settingProblems(env));
  // Everywhere, development included: a set operator token is meant to be used, and it reaches every workspace.
  const admin = readVar(env, "ADMIN_API_TOKEN");
  if (admin !== undefined && new TextEncoder().encode(admin).byteLength < MIN_ADMIN_TOKEN_BYTES)
    unsafe("ADMIN_API_TOKEN", `is shorter than ${MIN_ADMIN_TOKEN_BYTES} bytes`);
  if (development) return problems;
  const secret = readVar(env, "AUTH_JWT_SECRET");
  if (secret !== undefined && new TextEncoder().encode(secret).byteLength < 32)
    unsafe("AUTH_JWT_SECRET", "is shorter than 32 bytes");
  if (readVar(env, "AUTH_JWT_ISSUER") === undefined) unsafe("AUTH_JWT_ISSUER", "is empty");
  if (readVar(env, "AUTH_JWT_AUDIENCE") === undefined) unsafe("AUTH_JWT_AUDIENCE", "is empty");
  for (const [variable, published] of Object.entries(PUBLISHED_SECRET_HASHES)) {
    const value = readVar(env, variable);
    if (value === undefined) continue;
    const hash = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
    if (hash === published) unsafe(variable, "is the value .dev.vars.example publishes");
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

/** Where `npm run dev` serves: this worker's origin before any local request has named it. */
const DEFAULT_LOCAL_ORIGIN = "http://127.0.0.1:8787";

/**
 * The origin a local development request last reached this worker at. Module state on purpose: the
 * cron, the queues and the workspace objects have no request to read it from, and under
 * `wrangler dev` they share the isolate that served the request (one process, one port).
 */
let localOrigin: string | undefined;

/** Records a local development request's origin (the edge calls it for loopback hosts only). */
export function rememberLocalOrigin(requestUrl: string): void {
  localOrigin = new URL(requestUrl).origin;
}

/**
 * Where this worker serves its own endpoints (the sandbox's): PUBLIC_URL when set, else the origin
 * of the last local request, else `npm run dev`'s. So `wrangler dev --port 8788` needs no setting.
 */
export function selfBase(env: Env): string {
  const configured = readVar(env, "PUBLIC_URL");
  return configured ? configured.replace(/\/+$/, "") : (localOrigin ?? DEFAULT_LOCAL_ORIGIN);
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
  return settings(env).limits;
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
  return settings(env).webhooks;
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
  return settings(env).proxy;
}
