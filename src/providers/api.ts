// A provider's HTTP API as adapters and tenant lookups see it: base URL and bearer token applied,
// JSON parsed, failures turned into typed errors that never carry the token.
import { parseRetryAfter } from "../oauth/client";

export class ProviderApiError extends Error {
  constructor(
    /** HTTP status, or null for a network failure or timeout. */
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
}

export function createProviderApi(baseUrl: string, accessToken: string, timeoutMs = 30_000): ProviderApi {
  return {
    baseUrl,
    async get(path, options = {}) {
      const url = new URL(`${baseUrl}/${path.replace(/^\/+/, "")}`);
      for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v));
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { Accept: "application/json", "User-Agent": "zebbra-integrations", ...options.headers, Authorization: `Bearer ${accessToken}` },
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
      try {
        return await response.json();
      } catch {
        throw new ProviderApiError(response.status, `${url.host}${url.pathname} did not answer JSON`);
      }
    },
  };
}
