// A provider's HTTP API as adapters and tenant lookups see it: base URL and bearer token applied,
// JSON parsed, the provider's rate limit and 429 Retry-After respected, redirects never followed,
// failures turned into typed errors that never carry the token.
import { jitteredBackoff, parseRetryAfter, retry } from "./retry";
import { SECOND_MS, MINUTE_MS } from "./durations";

export class ProviderApiError extends Error {
  constructor(
    /** The provider's HTTP status, or null for a network failure or timeout. */
    readonly status: number | null,
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "ProviderApiError";
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean>;
  headers?: Record<string, string>;
}

export interface ProviderApi {
  readonly baseUrl: string;
  /** GET `path` (relative to the API base) and parse JSON; non-2xx → ProviderApiError. */
  get(path: string, options?: RequestOptions): Promise<unknown>;
  /** Like `get`, with the response headers (pagination totals, request ids). */
  getWithHeaders(path: string, options?: RequestOptions): Promise<{ body: unknown; headers: Headers }>;
  /** DELETE `path`; any 2xx is success and its body is not read. Non-2xx → ProviderApiError. */
  delete(path: string, options?: RequestOptions): Promise<void>;
}

/** Admits one call at a time under the provider's limits (the workspace's rate limiter). */
export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export interface ApiOptions {
  timeoutMs?: number;
  limiter?: Limiter;
  /** How many times a 429 is waited out and retried. */
  retries429?: number;
  /** The longest Retry-After waited out; a longer one fails the call. */
  maxWaitMs?: number;
}

export function createProviderApi(baseUrl: string, accessToken: string, options: ApiOptions = {}): ProviderApi {
  const { timeoutMs = 30 * SECOND_MS, limiter, retries429 = 3, maxWaitMs = MINUTE_MS } = options;

  const once = async (
    url: URL,
    headers: Record<string, string>,
    method: "GET" | "DELETE" = "GET",
  ): Promise<{ body: unknown; headers: Headers }> => {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...headers, Authorization: `Bearer ${accessToken}` },
        // A redirect is never followed: it would carry the bearer token to wherever it points. A
        // 3xx is a provider error like any other non-2xx.
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new ProviderApiError(null, `Could not reach ${url.host}${url.pathname}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      const retryAfter = parseRetryAfter(response.headers.get("Retry-After"), Date.now());
      throw new ProviderApiError(response.status, `${url.host}${url.pathname} answered ${response.status}`, retryAfter);
    }
    if (method === "DELETE") {
      await response.body?.cancel();
      return { body: null, headers: response.headers };
    }
    try {
      return { body: await response.json(), headers: response.headers };
    } catch {
      throw new ProviderApiError(response.status, `${url.host}${url.pathname} did not answer JSON`);
    }
  };

  const send = async (path: string, requestOptions: RequestOptions = {}, method: "GET" | "DELETE" = "GET") => {
    const url = new URL(`${baseUrl}/${path.replace(/^\/+/, "")}`);
    for (const [k, v] of Object.entries(requestOptions.query ?? {})) url.searchParams.set(k, String(v));
    const headers = { Accept: "application/json", "User-Agent": "zebbra-integrations", ...requestOptions.headers };
    return retry(() => (limiter ? limiter.run(() => once(url, headers, method)) : once(url, headers, method)), {
      retries: retries429,
      maxWaitMs,
      // 429: the provider says when to come back; wait that out (outside the limiter's slot).
      delayFor: (outcome, n) =>
        !outcome.ok && outcome.error instanceof ProviderApiError && outcome.error.status === 429
          ? (outcome.error.retryAfterMs ?? jitteredBackoff(n, 1000))
          : null,
    });
  };

  return {
    baseUrl,
    getWithHeaders: (path, requestOptions) => send(path, requestOptions),
    get: async (path, requestOptions) => (await send(path, requestOptions)).body,
    delete: async (path, requestOptions) => {
      await send(path, requestOptions, "DELETE");
    },
  };
}
