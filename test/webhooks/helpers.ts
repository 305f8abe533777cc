// Helpers for the webhook tests: the fake server's receiver (what arrived, how it answers), the
// outbox as D1 holds it, and driving the WEBHOOK_QUEUE consumer by hand for retries.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { expect, vi } from "vitest";
import worker from "../../src/index";
import { fakeUrl } from "../fake-client";
import { connectThroughPopup } from "../helpers";

export interface Received {
  at: number;
  headers: Record<string, string>;
  body: string;
  status: number;
}

export interface SentEvent {
  type: string;
  timestamp: string;
  data: Record<string, string | number | boolean | null>;
}

/** Everything the receiver got for `workspaceId`, in arrival order. */
export async function received(workspaceId: string): Promise<Received[]> {
  const res = await fetch(fakeUrl(`/_control/webhooks?workspace_id=${encodeURIComponent(workspaceId)}`));
  return res.json<Received[]>();
}

/** How the receiver answers the next deliveries for `workspaceId` (then 204). */
export async function scriptReceiver(
  workspaceId: string,
  replies: { status?: number; delayMs?: number; body?: string; location?: string }[],
): Promise<void> {
  const res = await fetch(fakeUrl("/_control/webhooks/script"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ workspace_id: workspaceId, replies }),
  });
  if (!res.ok) throw new Error(`script → ${res.status}`);
}

export function until<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await check();
      if (!value) throw new Error(`timed out waiting for ${what}`);
      return value;
    },
    { timeout: 15_000, interval: 50 },
  );
}

/** Waits until the receiver has at least `n` deliveries for `workspaceId`; returns them all. */
export const deliveries = (workspaceId: string, n: number) =>
  until(async () => {
    const list = await received(workspaceId);
    return list.length >= n && list;
  }, `${n} webhook deliveries for ${workspaceId}`);

/**
 * Verifies a delivery with the Standard Webhooks reference library, under the current secret and
 * (the rotation) the previous one, and returns the parsed body.
 */
export function verified(delivery: Received): SentEvent {
  const current = new Webhook(env.WEBHOOK_SECRET).verify(delivery.body, delivery.headers) as SentEvent;
  expect(new Webhook(env.WEBHOOK_PREVIOUS_SECRETS).verify(delivery.body, delivery.headers)).toEqual(current);
  return current;
}

/** The outbox row of an event, as D1 holds it. */
export function outboxRow(id: string) {
  return env.DB.prepare("SELECT * FROM webhook_events WHERE id = ?").bind(id).first<{
    id: string;
    type: string;
    state: string;
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    next_attempt_at: number;
    delivered_at: number | null;
  }>();
}

/** Runs the webhook consumer on one message for event `id`, as the queue would on attempt `attempts`. */
export async function consumeOnce(id: string, attempts: number, bindings: Env = env) {
  const batch = createMessageBatch("zebbra-webhooks", [
    { id: `queue-${id}-${attempts}`, timestamp: new Date(), attempts, body: { id } },
  ]);
  const message = batch.messages[0]!;
  // The harness's QueueResult does not keep retry options, so they are recorded here.
  let delaySeconds: number | undefined;
  const retry = message.retry.bind(message);
  message.retry = (options) => {
    delaySeconds = options?.delaySeconds;
    retry(options);
  };
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings, ctx);
  const result = await getQueueResult(batch, ctx);
  return { retried: result.retryMessages.length > 0, acked: result.explicitAcks.length > 0, delaySeconds };
}

/** Connects `ws` (one connection.created event) and waits until its first delivery attempt is recorded. */
export async function firstEvent(ws: string): Promise<string> {
  await connectThroughPopup(ws, "Gusto");
  const [first] = await deliveries(ws, 1);
  const id = first!.headers["webhook-id"]!;
  await until(async () => ((await outboxRow(id))?.attempts ?? 0) >= 1, "the first attempt recorded");
  return id;
}
