// Webhook events from the workspace object. An event is made next to the state change it reports and
// stored by the same D1 batch (the storage functions take it), then handed to WEBHOOK_QUEUE once that
// batch has committed. A send that never happens (the object evicted in between, a queue error) loses
// nothing: the event waits in D1 as pending, and the cron queues it again.
import type { Failure } from "../framework/failure";
import { webhookSettings } from "../framework/settings";
import {
  newWebhookEvent,
  type WebhookEventDetails,
  type WebhookEventType,
  type WebhookMessage,
} from "../framework/webhooks";
import type { Db } from "../storage/db";
import { getWebhookEvent, type OutboxEvent, resetForRedelivery, type StoredWebhookEvent } from "../storage/webhooks";

export type RedeliverOutcome = { ok: true; event: StoredWebhookEvent } | { ok: false; failure: Failure };

export class WebhookEvents {
  constructor(
    private readonly env: Env,
    private readonly d: Db,
    private readonly workspaceId: string,
  ) {}

  /** Whether events are recorded at all: WEBHOOK_URL is set. */
  get enabled(): boolean {
    return webhookSettings(this.env).url !== undefined;
  }

  /** Whether events of `type` are recorded: webhooks are on and WEBHOOK_EVENTS includes it. */
  sends(type: WebhookEventType): boolean {
    const settings = webhookSettings(this.env);
    return settings.url !== undefined && settings.events.has(type);
  }

  /** An event to store with a state change, or undefined when webhooks are off or the type is not sent. */
  create<T extends WebhookEventType>(
    type: T,
    { integration, tenantId }: { integration: string; tenantId: string },
    details: WebhookEventDetails[T],
    now = Date.now(),
  ): OutboxEvent | undefined {
    if (!this.sends(type)) return undefined;
    const about = { workspace_id: this.workspaceId, integration, tenant_id: tenantId === "" ? null : tenantId };
    const event = newWebhookEvent(type, about, details, new Date(now));
    return { id: event.id, workspaceId: this.workspaceId, integration, type, occurredAt: now, data: event.data };
  }

  /** Queues delivery of events whose state change has committed; never throws (the cron is the fallback). */
  async send(...events: (OutboxEvent | undefined)[]): Promise<void> {
    const messages = events.flatMap((e): { body: WebhookMessage; contentType: "json" }[] =>
      e ? [{ body: { id: e.id }, contentType: "json" }] : [],
    );
    if (messages.length === 0) return;
    try {
      await this.env.WEBHOOK_QUEUE.sendBatch(messages);
    } catch (err) {
      console.warn("webhook: queueing failed; the cron sends the event later", err instanceof Error ? err.message : "");
    }
  }

  /**
   * Makes one of this workspace's delivered or dead events pending again, with a fresh attempt count,
   * and queues it now. A pending event is refused (its own retries send it; another message would
   * only send it twice), and `admit` (the workspace's hourly limit) is asked only for an event that
   * can be redelivered.
   */
  async redeliver(
    id: string,
    admit: () => { ok: true } | { ok: false; failure: Failure },
    now = Date.now(),
  ): Promise<RedeliverOutcome> {
    if (!this.enabled) {
      return {
        ok: false,
        failure: { reason: "webhooks_disabled", message: "Webhooks are off on this server: WEBHOOK_URL is not set" },
      };
    }
    const current = await getWebhookEvent(this.d, id, this.workspaceId);
    if (!current) return notFound(id);
    if (current.state === "pending") return pending(current);
    const admitted = admit();
    if (!admitted.ok) return admitted;
    const event = await resetForRedelivery(this.d, this.workspaceId, id, now);
    if (!event) {
      // Redelivered (or pruned) between the read and the reset.
      const again = await getWebhookEvent(this.d, id, this.workspaceId);
      return again ? pending(again) : notFound(id);
    }
    await this.env.WEBHOOK_QUEUE.send({ id } satisfies WebhookMessage, { contentType: "json" });
    return { ok: true, event };
  }
}

function notFound(id: string): RedeliverOutcome {
  return { ok: false, failure: { reason: "not_found", message: `No webhook event "${id}" in this workspace` } };
}

function pending(event: StoredWebhookEvent): RedeliverOutcome {
  return {
    ok: false,
    failure: {
      reason: "webhook_pending",
      message: `Webhook event "${event.id}" is still pending (next attempt ${new Date(event.nextAttemptAt).toISOString()}): it is retried on its own; redeliver it once it is delivered or dead`,
    },
  };
}
