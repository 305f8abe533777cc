// Proxied calls to a provider's API, inside the workspace's object: the workspace's per-minute
// budget, the connection's own access token (a 401 forces a refresh at most once a minute per
// connection), its tenant pinned where the provider takes it (a call naming another is refused), the
// per-tenant rate limit shared with fetches, short Retry-After waits, and a streamed answer cut off at
// a size cap. The caller's request was confined and filtered by the edge; the path is confined again
// here after pinning, and the final URL must stay under the API base.
import type { Failure } from "../framework/failure";
import type { RegisteredProvider } from "../framework/provider";
import { PROXY_RESPONSE_HEADERS, pickHeaders, pinTenant, proxyPathProblem } from "../framework/proxy";
import { parseRetryAfter, retry } from "../framework/retry";
import { proxySettings } from "../framework/settings";
import { type ConnectionRef, connKey } from "./connections";
import type { WorkspaceDeps } from "./deps";
import type { AccessOutcome, UsableAccess } from "./tokens";
import { MINUTE_MS } from "../framework/durations";

/** A call to forward, as the edge checked it. */
export interface ProxyRequest {
  integration: string;
  /** The connection's tenant; optional while the workspace has one connection to the provider. */
  tenantId?: string | undefined;
  method: string;
  /** Relative to the API base, confined (see proxyPathProblem), no leading slash. */
  path: string;
  /** The query string without `workspace_id`, without `?`; "" for none. */
  query: string;
  /** The forwardable request headers (proxyRequestHeaders), lower-case names. */
  headers: Record<string, string>;
  /** At most the proxy's request limit; null for none. */
  body: ArrayBuffer | null;
}

/** The provider's answer: status, the passable headers, and the body as a stream (plain data over RPC). */
export type ProxyOutcome =
  | { ok: true; status: number; headers: Record<string, string>; body: ReadableStream<Uint8Array> | null }
  | { ok: false; failure: Failure };

/** 429s waited out per call before the provider's answer is passed back as it is. */
const MAX_429_WAITS = 2;

/**
 * How often an upstream 401 may force a refresh of one connection. A caller can make any provider
 * answer 401 (a path that needs a scope the grant lacks), and each forced refresh is a call to the
 * shared OAuth app's token endpoint; past this, the 401 is the answer.
 */
export const FORCED_REFRESH_INTERVAL_MS = MINUTE_MS;
/** DO storage: `proxy_refresh:<connKey>` → when a proxied 401 last forced a refresh (epoch ms). */
export const FORCED_REFRESH_PREFIX = "proxy_refresh:";

export class ApiProxy {
  /** Forced refreshes under way, by FORCED_REFRESH_PREFIX key: a concurrent 401 waits for it. */
  private readonly forced = new Map<string, Promise<AccessOutcome>>();

  constructor(
    private readonly deps: Pick<WorkspaceDeps, "env" | "storage" | "tokens" | "limits" | "limiters" | "providerOf">,
  ) {}

  async forward(request: ProxyRequest): Promise<ProxyOutcome> {
    const provider = this.deps.providerOf(request.integration);
    if (!provider) return failed("unknown_integration", `Unknown integration "${request.integration}"`);
    const admitted = this.deps.limits.admit("proxy_call");
    if (!admitted.ok) return admitted;
    const ref = { integration: provider.name, tenantId: request.tenantId };
    const first = await this.deps.tokens.getIntegrationAccess(ref);
    if (!first.ok) return first;
    const settings = proxySettings(this.deps.env);
    const pinned = withTenant(provider, first.access, request);
    if (!pinned.ok) return pinned;
    const call = pinned.request;

    let access = first.access;
    let response = await retry(() => this.send(provider, first.access, call, settings.timeoutMs), {
      retries: MAX_429_WAITS,
      // No Retry-After, or a long one: the caller decides; a short one is waited out here.
      maxWaitMs: settings.maxWaitMs,
      delayFor: (outcome) =>
        outcome.ok && "status" in outcome.value && outcome.value.status === 429
          ? parseRetryAfter(outcome.value.headers.get("Retry-After"), Date.now())
          : null,
      discard: async (value) => {
        if ("status" in value) await value.body?.cancel();
      },
    });
    if (!("status" in response)) return response;
    if (response.status === 401) {
      // The token was refused before its expiry (revoked, rotated elsewhere): refresh, retry once.
      const again = await this.accessAfter401(ref, provider.name, access.tenantId);
      if (!again.ok) {
        await response.body?.cancel();
        return again;
      }
      // Past the interval's one forced refresh, only a token refreshed since this call began is
      // worth a retry; the same token gets the provider's 401 back.
      if (again.access.accessToken !== access.accessToken) {
        await response.body?.cancel();
        access = again.access;
        response = await this.send(provider, access, call, settings.timeoutMs);
        if (!("status" in response)) return response;
      }
    }

    const length = Number(response.headers.get("Content-Length") ?? "0");
    if (length > settings.maxResponseBytes) {
      await response.body?.cancel();
      return failed(
        "provider_error",
        `${provider.name} answered ${length} bytes, more than the proxy passes (${settings.maxResponseBytes})`,
      );
    }
    return {
      ok: true,
      status: response.status,
      headers: pickHeaders(response.headers, PROXY_RESPONSE_HEADERS),
      body: response.body ? capped(response.body as ReadableStream<Uint8Array>, settings.maxResponseBytes) : null,
    };
  }

  /**
   * The connection's access after an upstream 401: refreshed by force when its last forced refresh
   * is FORCED_REFRESH_INTERVAL_MS old (the time is recorded first, so concurrent 401s force one);
   * else the one in flight, if any, or the current token. A token equal to the refused one means no
   * retry.
   */
  private accessAfter401(ref: ConnectionRef, integration: string, tenantId: string | null): Promise<AccessOutcome> {
    const key = FORCED_REFRESH_PREFIX + connKey({ integration, tenantId: tenantId ?? "" });
    const inFlight = this.forced.get(key);
    if (inFlight) return inFlight;
    const last = this.deps.storage.kv.get<number>(key);
    const now = Date.now();
    if (last !== undefined && now - last < FORCED_REFRESH_INTERVAL_MS)
      return this.deps.tokens.getIntegrationAccess(ref);
    this.deps.storage.kv.put(key, now);
    const refreshed = this.deps.tokens.getIntegrationAccess(ref, true).finally(() => this.forced.delete(key));
    this.forced.set(key, refreshed);
    return refreshed;
  }

  /** One attempt, under the tenant's limiter; a network failure or a refused URL is a failure. */
  private async send(
    provider: RegisteredProvider,
    access: UsableAccess,
    request: ProxyRequest,
    timeoutMs: number,
  ): Promise<Response | { ok: false; failure: Failure }> {
    const context = { tenantId: access.tenantId, config: access.config, clientId: access.clientId };
    const problem = proxyPathProblem(request.path);
    const base = new URL(`${access.apiBaseUrl}/`);
    const url = problem === null ? new URL(request.path + (request.query ? `?${request.query}` : ""), base) : null;
    if (!url || url.origin !== base.origin || !url.pathname.startsWith(base.pathname))
      return failed(
        "invalid_request",
        `The path does not stay under ${provider.name}'s API (${problem ?? "it leaves the base"})`,
      );

    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(provider.proxy?.headers?.(context) ?? {})) headers.set(name, value);
    headers.set("Authorization", `Bearer ${access.accessToken}`);
    headers.set("User-Agent", "zebbra-integrations-proxy");
    const call = () =>
      fetch(url, {
        method: request.method,
        headers,
        body: request.body,
        // A redirect is the caller's to follow: following it here would carry the token elsewhere.
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    try {
      return await this.deps.limiters.for(provider, access.tenantId).run(call);
    } catch {
      return failed("provider_unavailable", `${provider.name} could not be reached or did not answer in time`);
    }
  }
}

/**
 * The request with the connection's tenant where the provider takes it, once for every attempt of
 * the call. A connection without a tenant (made before its provider listed them) has none to pin: it
 * must be connected again rather than let the caller pick the tenant.
 */
function withTenant(
  provider: RegisteredProvider,
  access: UsableAccess,
  request: ProxyRequest,
): { ok: true; request: ProxyRequest } | { ok: false; failure: Failure } {
  const pin = provider.proxy?.tenant;
  if (!pin) return { ok: true, request };
  if (access.tenantId === null)
    return failed(
      "reconnect_required",
      `This ${provider.name} connection names no tenant for the proxy to pin: connect it again to choose one`,
    );
  const outcome = pinTenant(pin, access.tenantId, request);
  return outcome.ok
    ? { ok: true, request: { ...request, ...outcome.call } }
    : failed("invalid_request", outcome.message);
}

function failed(reason: Failure["reason"], message: string): { ok: false; failure: Failure } {
  return { ok: false, failure: { reason, message } };
}

/** `body`, erroring once more than `max` bytes have passed, so the caller sees a broken body, not a cut one. */
function capped(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(new Error(`The provider's answer is larger than ${max} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
}
