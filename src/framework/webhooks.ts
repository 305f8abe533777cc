// Outgoing webhooks signed to the Standard Webhooks spec (https://www.standardwebhooks.com): the events,
// their body, signing keys from `whsec_` secrets and the `webhook-signature` header. Sending them is
// webhook-delivery.ts.
import { decodeBase64IgnorePadding, encodeBase64 } from "@oslojs/encoding";
import * as z from "zod/mini";
import { randomId } from "./hash";
import { lazy } from "./lazy";

/**
 * Each event type and what its `data` holds besides `workspace_id`, `integration` and `tenant_id` (the
 * connection it is about): ids, dates and reason codes only, never a token, an amount or a name.
 */
export interface WebhookEventDetails {
  /**
   * A grant was confirmed (`source: "connect"`) or imported (`source: "import"`, POST
   * /admin/connections/import) for a tenant the workspace had no connection to.
   */
  "connection.created": { connected_by: string; source: ConnectionSource };
  /** The same, in place of the workspace's existing connection to the same tenant. */
  "connection.replaced": { connected_by: string; source: ConnectionSource };
  /** The connection was removed (disconnect); `by` is the user's JWT `sub`. */
  "connection.deleted": { by: string };
  /** The provider refused the stored grant (or its refresh outcome is unknown): only a new consent helps. */
  "connection.requires_reconnect": { reason: string };
  /**
   * The connection's refresh token reaches its hard expiry (which no use extends; QuickBooks: five
   * years after consent) within 30 days: a member must connect again before `refresh_token_expires_at`.
   * Sent once per connection and expiry, by the cron.
   */
  "connection.expiring": { refresh_token_expires_at: string };
  /**
   * Fresh data was cached for one entry. `cache_date` names it (the month end its `dates[0]` shows);
   * `from_date` is the same date, kept for receivers written before: reading with either returns it.
   */
  "data.fetched": { cache_date: string; from_date: string; fetched_at: string; trigger: string };
  /**
   * The provider reported changes (its webhooks) and the re-fetch found different data: `cache_dates`
   * lists the entries that changed (comma separated month ends), `kinds` what the provider said
   * changed (comma separated, e.g. `invoice.updated,contact.created`). Entries re-fetched unchanged
   * get `data.fetched` instead.
   */
  "data.changed": { cache_dates: string; kinds: string; fetched_at: string };
  /** A fetch of the entry `cache_date` failed; cached data, if any, is unchanged. */
  "data.fetch_failed": { cache_date: string; from_date: string; reason: string; trigger: string };
}

export type WebhookEventType = keyof WebhookEventDetails;

/** How a connection came to be: a member's consent, or the operator's import of tokens held elsewhere. */
export type ConnectionSource = "connect" | "import";

/** The event types, in the order the docs list them. */
export const WEBHOOK_EVENT_TYPES = [
  "connection.created",
  "connection.replaced",
  "connection.deleted",
  "connection.requires_reconnect",
  "connection.expiring",
  "data.fetched",
  "data.changed",
  "data.fetch_failed",
] as const satisfies readonly WebhookEventType[];

/** What an event is about: always the workspace and the connection (integration, tenant), then flat scalar details. */
export interface WebhookEventData {
  workspace_id: string;
  integration: string;
  /** The connection's tenant; null for a provider without tenants. */
  tenant_id: string | null;
  [key: string]: string | number | boolean | null;
}

/**
 * One event. The body sent is exactly `{type, timestamp, data}`; `id` travels in the `webhook-id`
 * header and stays the same on every retry, so receivers can use it as an idempotency key.
 */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  /** When the event happened (ISO 8601), not when it was delivered. */
  timestamp: string;
  data: WebhookEventData;
}

/** Event ids: `msg_` and 43 base64url characters (32 random bytes). */
export const WEBHOOK_ID_PATTERN = /^msg_[A-Za-z0-9_-]{1,64}$/;

/** A new event with a fresh `msg_…` id, stamped `now`. */
export function newWebhookEvent<T extends WebhookEventType>(
  type: T,
  about: { workspace_id: string; integration: string; tenant_id: string | null },
  details: WebhookEventDetails[T],
  now = new Date(),
): WebhookEvent {
  return { id: `msg_${randomId()}`, type, timestamp: now.toISOString(), data: { ...about, ...details } };
}

/** The WEBHOOK_QUEUE message: the id of an outbox event to deliver (the event itself stays in D1). */
export const webhookMessage = lazy(() => z.object({ id: z.string().check(z.regex(WEBHOOK_ID_PATTERN)) }));

export type WebhookMessage = z.infer<ReturnType<typeof webhookMessage>>;

/** The exact bytes that are signed and sent: `{type, timestamp, data}`, without the id. */
export function webhookBody(event: WebhookEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}

// Named through the API, not as `CryptoKey`: Node's types (tsconfig.tools.json) have no such global type.
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** HMAC-SHA256 keys, the current secret's first, then each previous secret's. */
export type WebhookKeys = readonly [HmacKey, ...HmacKey[]];

/** A webhook secret is unusable; the message names the variable and never repeats the secret. */
export class WebhookSecretError extends Error {
  constructor(
    readonly variable: "WEBHOOK_SECRET" | "WEBHOOK_PREVIOUS_SECRETS",
    message: string,
  ) {
    super(message);
    this.name = "WebhookSecretError";
  }
}

const SECRET_PREFIX = "whsec_";
// Standard Webhooks: a symmetric secret is random, at least 24 bytes and at most 512 bits.
const SECRET_MIN_BYTES = 24;
const SECRET_MAX_BYTES = 64;

function decodeSecret(value: string, variable: WebhookSecretError["variable"], label: string): Uint8Array<ArrayBuffer> {
  const shape = `must be "${SECRET_PREFIX}" and the base64 of ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} random bytes`;
  if (!value.startsWith(SECRET_PREFIX)) throw new WebhookSecretError(variable, `${label} ${shape}`);
  let raw: Uint8Array;
  try {
    raw = decodeBase64IgnorePadding(value.slice(SECRET_PREFIX.length));
  } catch {
    throw new WebhookSecretError(variable, `${label} is not valid base64: it ${shape}`);
  }
  if (raw.length < SECRET_MIN_BYTES || raw.length > SECRET_MAX_BYTES)
    throw new WebhookSecretError(variable, `${label} decodes to ${raw.length} bytes: it ${shape}`);
  return new Uint8Array(raw);
}

async function importKeys(secret: string | undefined, previousSecrets: string): Promise<WebhookKeys> {
  const current = secret?.trim();
  if (!current) throw new WebhookSecretError("WEBHOOK_SECRET", "WEBHOOK_SECRET is not set");
  const raws = [decodeSecret(current, "WEBHOOK_SECRET", "WEBHOOK_SECRET")];
  const seen = new Set([current]);
  previousSecrets
    .split(",")
    .map((s) => s.trim())
    .forEach((item, index) => {
      if (!item || seen.has(item)) return; // the same key twice would only repeat its signature
      seen.add(item);
      raws.push(decodeSecret(item, "WEBHOOK_PREVIOUS_SECRETS", `WEBHOOK_PREVIOUS_SECRETS entry ${index + 1}`));
    });
  const keys = await Promise.all(
    raws.map((raw) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])),
  );
  return keys as [HmacKey, ...HmacKey[]];
}

const keyCache = new Map<string, Promise<WebhookKeys>>();

/**
 * The signing keys for `WEBHOOK_SECRET` and the comma-separated `WEBHOOK_PREVIOUS_SECRETS`, imported
 * once per isolate. Rejects with a WebhookSecretError when a value is missing or malformed.
 */
export function webhookKeys(secret: string | undefined, previousSecrets = ""): Promise<WebhookKeys> {
  const cacheKey = `${secret ?? ""}\n${previousSecrets}`;
  let keys = keyCache.get(cacheKey);
  if (!keys) {
    keys = importKeys(secret, previousSecrets);
    keyCache.set(cacheKey, keys);
    keys.catch(() => keyCache.delete(cacheKey));
  }
  return keys;
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "{msgId}.{timestampSeconds}.{body}">`
 * for each key, space-separated, the current key's first.
 */
export async function signWebhook(
  keys: WebhookKeys,
  msgId: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  // The spec forbids a "." in the id, which would let one signed content pass for another.
  if (msgId === "" || msgId.includes(".")) throw new TypeError("A webhook id must be non-empty and contain no '.'");
  if (!Number.isSafeInteger(timestampSeconds)) throw new TypeError("A webhook timestamp must be whole seconds");
  const content = new TextEncoder().encode(`${msgId}.${timestampSeconds}.${body}`);
  const macs = await Promise.all(keys.map((key) => crypto.subtle.sign("HMAC", key, content)));
  return macs.map((mac) => `v1,${encodeBase64(new Uint8Array(mac))}`).join(" ");
}
