// POST /integration/<provider>/webhooks: a provider's change notifications (its webhooks), for each
// provider that declares `webhooks`. Public: no JWT and no CORS (app.ts), the provider's signature
// over the raw body is the only credential. A verified delivery is queued and answered 200 with an
// empty body at once; routing, deduplication and the re-fetch happen after the answer
// (src/jobs/provider-events.ts, src/workspace/provider-events.ts).
import { Hono } from "hono/tiny";
import { ProviderDataError } from "../../framework/data";
import { FailureError } from "../../framework/failure";
import { queueProviderEvents } from "../../framework/fetch-queue";
import { confirmHandshake, readHandshakeKey } from "../../framework/handshake-keys";
import type { ProviderEvent } from "../../framework/provider-events";
import { displayName, type RegisteredProvider } from "../../framework/provider";
import { readVar } from "../../framework/settings";
import { describe } from "../docs";
import type { AppEnv } from "../env";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

/** Providers' notifications are a few KB; anything far larger is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The path of a provider's webhook route. */
export const providerWebhookPath = (provider: RegisteredProvider) => `/integration/${provider.slug}/webhooks`;

function parseJson(raw: Uint8Array<ArrayBuffer>): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    return undefined;
  }
}

export function providerWebhookRoutes(provider: RegisteredProvider) {
  const hooks = provider.webhooks;
  const app = new Hono<AppEnv>();
  if (!hooks) return app;
  const name = displayName(provider);
  const { key } = hooks;
  return app.post(
    providerWebhookPath(provider),
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Provider webhooks",
        summary: `${name}'s change notifications`,
        description:
          'Called by the provider, never by the host app: verified by the provider\'s signature over the raw body (docs/webhooks.md, "Incoming"). The cached data of every connection to the tenant an event names is re-fetched within a minute, and the host app gets `data.changed`.',
        access: "public",
        responses: {
          200: { description: "Verified (or a subscription handshake taken); empty body", contentType: "text/plain" },
          401: {
            description: "Missing or wrong signature, or no key to check it with yet (logged); empty body",
            contentType: "text/plain",
          },
          400: { description: "Signed, but not the provider's format" },
        },
      },
    ),
    async (c) => {
      // The raw bytes first: the signature is over them, and any parsing would change them.
      const raw = new Uint8Array(await c.req.arrayBuffer());
      if (raw.byteLength > MAX_BODY_BYTES)
        throw new FailureError("payload_too_large", `A ${name} notification is at most ${MAX_BODY_BYTES} bytes`);

      let secret: string | undefined;
      if ("handshake" in key) {
        // The handshake is unsigned; its token counts only once the provider confirms it.
        const handshake = key.handshake.read(parseJson(raw));
        if (handshake) {
          c.executionCtx.waitUntil(confirmHandshake(c.env, provider, key.handshake, handshake));
          return c.body(null, 200);
        }
        secret = await readHandshakeKey(c.env, provider);
      } else secret = readVar(c.env, key.variable);
      // Without a key nothing can be verified: refused like a wrong signature (the provider retries),
      // and the operator learns why from the log.
      if (secret === undefined) {
        console.error(
          "handshake" in key
            ? `${name} webhook refused: its subscription is not verified yet (docs/webhooks.md, "Incoming")`
            : `${name} webhook refused: set ${key.variable}`,
        );
        return c.body(null, 401);
      }
      if (!(await hooks.verify({ body: raw, headers: c.req.raw.headers }, secret))) return c.body(null, 401);

      const body = parseJson(raw);
      let events: ProviderEvent[];
      try {
        if (body === undefined) throw new ProviderDataError(name, "the body is not JSON");
        events = hooks.parse(body);
      } catch (err) {
        if (!(err instanceof ProviderDataError)) throw err;
        throw new FailureError("invalid_request", err.message);
      }
      if (events.length > 0) await queueProviderEvents(c.env.FETCH_QUEUE, provider.name, events);
      return c.body(null, 200);
    },
  );
}
