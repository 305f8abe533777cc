// Webhook delivery: retries after a failure with the same webhook-id, the 10 s (here 0.5 s) timeout,
// redirects not followed, dead after the last attempt, redelivery, the cron re-queueing an event
// whose queue message was lost, and the https rule outside development.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { WEBHOOK_MAX_ATTEMPTS, webhookRetryDelaySeconds } from "../../src/framework/webhook-delivery";
import worker from "../../src/index";
import { db } from "../../src/storage/db";
import { recordEvent } from "../../src/storage/webhooks";
import { fakeUrl } from "../fake-client";
import { consumeOnce, deliveries, firstEvent, outboxRow, received, scriptReceiver, until, verified } from "./helpers";

describe("webhook delivery", () => {
  it("should retry after a 500 with backoff and the same webhook-id, and succeed on the next 2xx", async () => {
    const ws = "ws-hook-retry";
    await scriptReceiver(ws, [{ status: 500, body: "receiver down\n".repeat(400) }]);
    const id = await firstEvent(ws);
    const row = (await outboxRow(id))!;
    expect(row).toMatchObject({ state: "pending", attempts: 1, last_status: 500 });
    // The receiver's words go to the operator's log (a short excerpt), not to the workspace.
    expect(row.last_error).toBe("HTTP 500");
    expect(row.next_attempt_at).toBeGreaterThan(Date.now() + 50_000);

    // The queue redelivers the message later; here the consumer runs it at once.
    const second = await consumeOnce(id, 2);
    expect(second).toMatchObject({ acked: true, retried: false });
    const all = await received(ws);
    expect(all).toHaveLength(2);
    expect(all.map((d) => d.headers["webhook-id"])).toEqual([id, id]);
    expect(verified(all[1]!)).toEqual(verified(all[0]!));
    expect(await outboxRow(id)).toMatchObject({ state: "delivered", attempts: 2, last_status: 204, last_error: null });

    // A message for a delivered event sends nothing.
    await consumeOnce(id, 3);
    expect(await received(ws)).toHaveLength(2);
  });

  it("should count an answer slower than the timeout as a failed attempt", async () => {
    const ws = "ws-hook-timeout";
    await scriptReceiver(ws, [{ delayMs: 3000 }]);
    const id = await firstEvent(ws);
    expect(await outboxRow(id)).toMatchObject({
      state: "pending",
      attempts: 1,
      last_status: null,
      last_error: "timeout",
    });
  });

  it("should not follow a redirect", async () => {
    const ws = "ws-hook-redirect";
    await scriptReceiver(ws, [{ status: 307, location: fakeUrl("/webhooks/receive") }]);
    const id = await firstEvent(ws);
    expect(await outboxRow(id)).toMatchObject({ state: "pending", last_status: 307 });
    expect(await received(ws)).toHaveLength(1);
  });

  it("should back off exponentially and give up after the last attempt, keeping the event as dead", async () => {
    const ws = "ws-hook-dead";
    await scriptReceiver(
      ws,
      Array.from({ length: WEBHOOK_MAX_ATTEMPTS }, () => ({ status: 503 })),
    );
    const id = await firstEvent(ws);
    for (let attempt = 2; attempt < WEBHOOK_MAX_ATTEMPTS; attempt++) {
      const result = await consumeOnce(id, attempt);
      expect(result).toMatchObject({ retried: true, delaySeconds: webhookRetryDelaySeconds(attempt) });
    }
    expect(webhookRetryDelaySeconds(2)).toBe(2 * webhookRetryDelaySeconds(1));
    const last = await consumeOnce(id, WEBHOOK_MAX_ATTEMPTS);
    expect(last).toMatchObject({ acked: true, retried: false });
    expect(await outboxRow(id)).toMatchObject({ state: "dead", attempts: WEBHOOK_MAX_ATTEMPTS, last_status: 503 });
    expect(await received(ws)).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
    // Dead stays dead: a late message sends nothing.
    await consumeOnce(id, WEBHOOK_MAX_ATTEMPTS + 1);
    expect(await received(ws)).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
  });

  it("should re-queue, from the cron, an event whose queue message was lost", async () => {
    const ws = "ws-hook-lost";
    // As if the worker was evicted right after the state change's batch committed: the event is in
    // D1, and no message was ever sent.
    const occurredAt = Date.now() - 10 * 60_000;
    const id = "msg_lostlostlostlostlostlostlostlostlostlostlos";
    await recordEvent(db(env.DB), {
      id,
      workspaceId: ws,
      integration: "Gusto",
      type: "connection.deleted",
      occurredAt,
      data: { workspace_id: ws, integration: "Gusto", by: "user-1" },
    });
    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    const [delivery] = await deliveries(ws, 1);
    expect(delivery!.headers["webhook-id"]).toBe(id);
    expect(verified(delivery!)).toEqual({
      type: "connection.deleted",
      timestamp: new Date(occurredAt).toISOString(),
      // Recorded as events were before connections had tenants: sent with tenant_id null.
      data: { workspace_id: ws, integration: "Gusto", tenant_id: null, by: "user-1" },
    });
    await until(async () => (await outboxRow(id))?.state === "delivered", "the event delivered");
  });

  it("should refuse an http receiver outside development, as a failed attempt naming the rule", async () => {
    const ws = "ws-hook-https";
    await scriptReceiver(ws, [{ status: 500 }]);
    const id = await firstEvent(ws);
    const production = { ...env, ENVIRONMENT: "" } as Env;
    const result = await consumeOnce(id, 2, production);
    expect(result.retried).toBe(true);
    expect(await outboxRow(id)).toMatchObject({ attempts: 2, last_status: null });
    expect((await outboxRow(id))!.last_error).toMatch(/only in development/);
    expect(await received(ws)).toHaveLength(1);
  });
});
