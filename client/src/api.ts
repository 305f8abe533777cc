// The typed API for a host app: hono/client over the worker's AppType, each call with the user's
// bearer. Only the worker's types are imported, so no worker code reaches the bundle.
import { hc } from "hono/client";
import type { AppType } from "../../src/edge/app";

export interface ClientOptions {
  /** The service's PUBLIC_URL, e.g. `https://integrations.example.com`. */
  baseUrl: string;
  /** The signed-in user's JWT, asked for before each call. */
  getToken: () => string | Promise<string>;
  /** The fetch to send with (default: the global one). */
  fetch?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
}

/**
 * `hc<AppType>` with `Authorization: Bearer <getToken()>` on every call: every route's input and
 * output typed. The return type is left to inference on purpose: the emitted declaration then spells
 * the routes out, so a consumer needs hono's types and not this repository's.
 */
export function createClient({ baseUrl, getToken, fetch: send }: ClientOptions) {
  return hc<AppType>(baseUrl, {
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set("Authorization", `Bearer ${await getToken()}`);
      return (send ?? fetch)(input, { ...init, headers });
    },
  });
}
