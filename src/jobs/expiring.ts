// Cron: a `connection.expiring` webhook for each connection whose refresh token reaches its hard
// expiry (QuickBooks: five years after consent) within 30 days, once per connection and expiry. Only
// while webhooks record that type (WEBHOOK_URL set, WEBHOOK_EVENTS); otherwise nothing is marked, so
// the notice still goes out once they do.
import { webhookSettings } from "../framework/settings";
import { db } from "../storage/db";
import { expiringConnections, markExpiringAnnounced } from "../storage/expiry";
import { WebhookEvents } from "../workspace/webhook-events";
import { DAY_MS } from "../framework/durations";

/** How long before a hard expiry the host app hears of it. */
export const EXPIRING_NOTICE_MS = 30 * DAY_MS;
/** Connections announced per tick; the rest wait for the next (a hard expiry is months away when first known). */
const LIMIT = 200;
/** Notices per D1 batch (two statements each). */
const BATCH = 50;
/** Queues' largest sendBatch. */
const SEND_BATCH = 100;

export interface ExpiringReport {
  announced: number;
}

export async function announceExpiring(env: Env, now: number, limit = LIMIT): Promise<ExpiringReport> {
  const settings = webhookSettings(env);
  if (settings.url === undefined || !settings.events.has("connection.expiring")) return { announced: 0 };
  const d = db(env.DB);
  const due = await expiringConnections(d, now + EXPIRING_NOTICE_MS, limit);
  const sent: Parameters<WebhookEvents["send"]> = [];
  for (let i = 0; i < due.length; i += BATCH) {
    const notices = due.slice(i, i + BATCH).map((connection) => ({
      connection,
      event: new WebhookEvents(env, d, connection.workspaceId).create(
        "connection.expiring",
        connection,
        { refresh_token_expires_at: new Date(connection.refreshHardExpiresAt).toISOString() },
        now,
      ),
    }));
    const marked = new Set(await markExpiringAnnounced(d, notices));
    for (const { connection, event } of notices) if (marked.has(connection.id)) sent.push(event);
  }
  // Queued once D1 holds them; a lost send is found by the webhook sweep like any other.
  const sender = new WebhookEvents(env, d, "");
  for (let i = 0; i < sent.length; i += SEND_BATCH) await sender.send(...sent.slice(i, i + SEND_BATCH));
  return { announced: sent.length };
}
