// WEBHOOK_QUEUE consumer and the cron's webhook housekeeping. A message names an outbox event in D1;
// each delivery attempt is recorded on the event, failed ones are retried on the schedule in
// webhook-delivery.ts (about a day), and an event that runs out of attempts is kept as dead.
import { webhookSettings } from "../framework/settings";
import {
  checkWebhookUrl,
  deliverWebhook,
  WEBHOOK_MAX_ATTEMPTS,
  type WebhookDelivery,
  webhookRetryDelaySeconds,
} from "../framework/webhook-delivery";
import { webhookKeys, webhookMessage, type WebhookEvent, WebhookSecretError } from "../framework/webhooks";
import { db } from "../storage/db";
import {
  getWebhookEvent,
  pruneWebhookEvents,
  recordAttempt,
  type StoredWebhookEvent,
  takeOverdueEvents,
} from "../storage/webhooks";
import { eachMessage } from "./messages";
import { MINUTE_MS, DAY_MS } from "../framework/durations";

/** The queue name the consumer is bound to in wrangler.toml; the worker's queue handler routes by it. */
export const WEBHOOK_QUEUE_NAME = "zebbra-webhooks";

export interface WebhookConsumeReport {
  delivered: number;
  retried: number;
  dead: number;
  /** Messages for events already delivered, dead or pruned: acknowledged without a send. */
  skipped: number;
}

/** The event as it is sent: the body's fields, rebuilt from the outbox row. */
function toEvent(row: StoredWebhookEvent): WebhookEvent {
  return {
    id: row.id,
    type: row.type as WebhookEvent["type"],
    timestamp: new Date(row.occurredAt).toISOString(),
    // Events recorded before connections had tenants carry none.
    data: { tenant_id: null, ...row.data, workspace_id: row.workspaceId, integration: row.integration },
  };
}

/** One attempt for `row`; configuration problems count as a failed attempt, so fixing them in time loses nothing. */
async function attempt(env: Env, row: StoredWebhookEvent): Promise<WebhookDelivery> {
  const settings = webhookSettings(env);
  const url = checkWebhookUrl(settings.url ?? "", settings.environment);
  if (!url.ok) return { delivered: false, status: null, error: url.reason };
  try {
    const keys = await webhookKeys(settings.secret, settings.previousSecrets);
    return await deliverWebhook(url.url, toEvent(row), keys, { timeoutMs: settings.timeoutMs });
  } catch (err) {
    if (err instanceof WebhookSecretError) return { delivered: false, status: null, error: err.message };
    throw err;
  }
}

export async function consumeWebhooks(batch: MessageBatch<unknown>, env: Env): Promise<WebhookConsumeReport> {
  const report: WebhookConsumeReport = { delivered: 0, retried: 0, dead: 0, skipped: 0 };
  const d = db(env.DB);
  await eachMessage(batch, webhookMessage(), "webhook", async ({ id }, message) => {
    const row = await getWebhookEvent(d, id);
    if (!row || row.state !== "pending") {
      report.skipped++;
      message.ack();
      return;
    }
    const result = await attempt(env, row);
    const now = Date.now();
    const attempts = row.attempts + 1;
    const dead = !result.delivered && attempts >= WEBHOOK_MAX_ATTEMPTS;
    const delaySeconds = webhookRetryDelaySeconds(attempts);
    // Workspace admins read last_error: the status only. The receiver's words (result.error quotes
    // its body) go to the operator's log below.
    const shown = result.status === null ? result.error : result.delivered ? null : `HTTP ${result.status}`;
    const recorded = await recordAttempt(
      d,
      row.id,
      { ...result, error: shown, dead, nextAttemptAt: now + delaySeconds * 1000 },
      now,
    );
    if (recorded === null || result.delivered) {
      // Delivered now, or by a concurrent attempt (a redelivery) meanwhile.
      if (result.delivered) report.delivered++;
      else report.skipped++;
      message.ack();
    } else if (dead) {
      report.dead++;
      console.warn("webhook: gave up", row.type, row.id, `after ${attempts} attempts:`, result.error);
      message.ack();
    } else {
      report.retried++;
      console.warn("webhook: attempt failed", row.type, row.id, result.error, `retry in ${delaySeconds} s`);
      message.retry({ delaySeconds });
    }
  });
  return report;
}

/** Pending events whose next attempt is this late have lost their queue message. */
const OVERDUE_AFTER_MS = 5 * MINUTE_MS;
/** Events re-queued per cron tick (each sendBatch carries 100). */
const RESEND_LIMIT = 1000;
const DEAD_RETENTION_MS = 30 * DAY_MS;
/** Old events deleted per statement, and statements per tick at most: up to 100,000 a tick. */
const PRUNE_BATCH = 5000;
const PRUNE_BATCHES = 20;

export interface WebhookSweepReport {
  requeued: number;
  pruned: number;
}

/**
 * The cron's part: queues again pending events whose message was lost (an eviction between the
 * state change and the send, a failed send, a queue that gave up), and deletes delivered events
 * after WEBHOOK_DELIVERED_RETENTION_MS (7 days) and dead ones after 30.
 */
export async function sweepWebhooks(env: Env, now: number): Promise<WebhookSweepReport> {
  const d = db(env.DB);
  const settings = webhookSettings(env);
  let pruned = 0;
  for (let i = 0; i < PRUNE_BATCHES; i++) {
    const deleted = await pruneWebhookEvents(
      d,
      now - settings.deliveredRetentionMs,
      now - DEAD_RETENTION_MS,
      PRUNE_BATCH,
    );
    pruned += deleted;
    if (deleted < PRUNE_BATCH) break;
  }
  // With webhooks off no new events are written; old pending ones wait until they are on again.
  if (settings.url === undefined) return { requeued: 0, pruned };
  const ids = await takeOverdueEvents(d, now - OVERDUE_AFTER_MS, now, RESEND_LIMIT);
  for (let i = 0; i < ids.length; i += 100) {
    await env.WEBHOOK_QUEUE.sendBatch(ids.slice(i, i + 100).map((id) => ({ body: { id }, contentType: "json" })));
  }
  return { requeued: ids.length, pruned };
}
