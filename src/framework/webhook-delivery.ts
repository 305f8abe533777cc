// Sending a signed webhook: the rules for the receiver's URL, one delivery attempt that never throws
// for what the receiver does, and the retry schedule the queue consumer follows.
import { exponentialBackoff } from "./backoff";
import { signWebhook, webhookBody, type WebhookEvent, type WebhookKeys } from "./webhooks";

/** The receiver's URL, normalised; or why there is none (`off`: webhooks are simply not configured). */
export type WebhookUrlCheck = { ok: true; url: string } | { ok: false; off: boolean; reason: string };

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost"]);

/**
 * Checks `WEBHOOK_URL`: empty turns webhooks off; otherwise it must be an `https:` URL without
 * credentials, except that `http://127.0.0.1[:port]` and `http://localhost[:port]` are accepted
 * when `environment` is `"development"`.
 */
export function checkWebhookUrl(url: string, environment: string | undefined): WebhookUrlCheck {
  const text = url.trim();
  if (text === "") return { ok: false, off: true, reason: "WEBHOOK_URL is not set: webhooks are off" };
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return { ok: false, off: false, reason: "WEBHOOK_URL is not an absolute URL" };
  }
  // Credentials in the URL would be sent to (and logged by) every hop; the signature is the authentication.
  if (parsed.username || parsed.password)
    return { ok: false, off: false, reason: "WEBHOOK_URL must not contain a user name or password" };
  if (parsed.protocol === "https:") return { ok: true, url: parsed.href };
  if (parsed.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname)) {
    return environment === "development"
      ? { ok: true, url: parsed.href }
      : { ok: false, off: false, reason: "WEBHOOK_URL may use http: (on localhost) only in development" };
  }
  return { ok: false, off: false, reason: "WEBHOOK_URL must be an https: URL" };
}

/** The outcome of one delivery attempt; receiver failures are data, never exceptions. */
export interface WebhookDelivery {
  /** The receiver answered 2xx. */
  delivered: boolean;
  /** The receiver's status, or null when it could not be reached or did not answer in time. */
  status: number | null;
  /** Null on success; else "timeout", "network" or `HTTP <status>` and the start of its body. */
  error: string | null;
}

export interface DeliverOptions {
  /** How long the whole attempt (connect, answer and the body read) may take; default 10 s. */
  timeoutMs?: number;
}

/** The most of a failure's body that is read; the rest is cancelled unread. */
const BODY_READ_LIMIT = 1024;
/** The most of that body quoted in `error`. */
const ERROR_TEXT_LIMIT = 200;

/**
 * POSTs `event` to `url` (which passed checkWebhookUrl), signed with every key. Redirects are not
 * followed: a 3xx is a failure, as the spec recommends. Never throws for anything the receiver does.
 */
export async function deliverWebhook(
  url: string,
  event: WebhookEvent,
  keys: WebhookKeys,
  options: DeliverOptions = {},
): Promise<WebhookDelivery> {
  const { timeoutMs = 10_000 } = options;
  const body = webhookBody(event);
  // The attempt's time, not the event's: receivers reject stale timestamps to stop replays, and a
  // retry may come hours after the event.
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "zebbra-integrations-webhooks",
    "webhook-id": event.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signWebhook(keys, event.id, timestamp, body),
  };
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal });
  } catch {
    return { delivered: false, status: null, error: signal.aborted ? "timeout" : "network" };
  }
  const { status } = response;
  if (status >= 200 && status < 300) {
    await response.body?.cancel().catch(() => undefined);
    return { delivered: true, status, error: null };
  }
  const excerpt = await readExcerpt(response.body);
  return { delivered: false, status, error: excerpt ? `HTTP ${status}: ${excerpt}` : `HTTP ${status}` };
}

/** The start of a body as one short line of text, reading at most BODY_READ_LIMIT bytes of it. */
async function readExcerpt(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return "";
  const reader = body.getReader();
  const bytes = new Uint8Array(BODY_READ_LIMIT);
  let length = 0;
  try {
    while (length < BODY_READ_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, BODY_READ_LIMIT - length);
      bytes.set(value.subarray(0, take), length);
      length += take;
    }
  } catch {
    // The body broke off or the attempt timed out: keep what arrived.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = new TextDecoder().decode(bytes.subarray(0, length));
  // Control characters and line breaks would garble a log line.
  return text
    .replace(/[\s\p{Cc}]+/gu, " ")
    .trim()
    .slice(0, ERROR_TEXT_LIMIT);
}

/** Base of the retry backoff: the first retry waits a minute. */
const RETRY_BASE_SECONDS = 60;
/** The longest wait between two attempts (Cloudflare Queues allow at most 12 h). */
const RETRY_CAP_SECONDS = 6 * 3600;

/**
 * Attempts per event, the first included. Waits after attempts 1…12: 1, 2, 4, 8, 16, 32 min,
 * 1 h 4 min, 2 h 8 min, 4 h 16 min, then 6 h three times; the last attempt comes about 26.5 h
 * after the first, so a receiver that is down for a whole day still gets the event.
 */
export const WEBHOOK_MAX_ATTEMPTS = 13;

/**
 * How long to wait before the next attempt after `attempt` attempts failed (a queue message's
 * `attempts`, 1 for the first delivery).
 */
export function webhookRetryDelaySeconds(attempt: number): number {
  return exponentialBackoff(Math.max(0, attempt - 1), RETRY_BASE_SECONDS, RETRY_CAP_SECONDS);
}
