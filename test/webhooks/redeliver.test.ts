// Redelivery cannot be used to flood the host app's receiver: a pending event is refused (409), a
// workspace redelivers at most LIMIT_WEBHOOK_REDELIVERIES_PER_HOUR events an hour (429 with
// Retry-After), and a refused redelivery does not count. A consumer that throws retries its message
// later, never at once.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_BINDINGS } from "../bindings";
import { call, errorOf, token } from "../helpers";
import { consumeOnce, firstEvent, outboxRow, received, scriptReceiver, until } from "./helpers";

async function redeliver(ws: string, id: string) {
  return call(`/integration/webhooks/events/${id}/redeliver?workspace_id=${ws}`, {
    method: "POST",
    bearer: await token({ [ws]: "admin" }),
  });
}

describe("redelivering a webhook event", () => {
  it("should refuse a pending event with 409 webhook_pending, sending nothing", async () => {
    const ws = "ws-redeliver-pending";
    await scriptReceiver(ws, [{ status: 500 }]);
    const id = await firstEvent(ws);
    expect(await outboxRow(id)).toMatchObject({ state: "pending", attempts: 1 });

    const res = await redeliver(ws, id);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: "webhook_pending" });
    expect(await outboxRow(id)).toMatchObject({ state: "pending", attempts: 1 });
    expect(await received(ws)).toHaveLength(1);
  });

  it("should allow LIMIT_WEBHOOK_REDELIVERIES_PER_HOUR an hour, then answer 429 with Retry-After", async () => {
    const ws = "ws-redeliver-limit";
    const id = await firstEvent(ws);
    await until(async () => (await outboxRow(id))?.state === "delivered", "the first delivery");
    const limit = Number(TEST_BINDINGS.LIMIT_WEBHOOK_REDELIVERIES_PER_HOUR);
    for (let n = 1; n <= limit; n++) {
      expect((await redeliver(ws, id)).status).toBe(202);
      // While it is pending again, another redelivery is refused, and not counted.
      expect((await redeliver(ws, id)).status).toBe(409);
      await until(async () => (await outboxRow(id))?.state === "delivered", `redelivery ${n}`);
    }
    const over = await redeliver(ws, id);
    expect(over.status).toBe(429);
    expect(await errorOf(over)).toMatchObject({ code: "rate_limited" });
    const retryAfter = Number(over.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await outboxRow(id)).toMatchObject({ state: "delivered" });
    expect(await received(ws)).toHaveLength(1 + limit);
  });
});

describe("what a workspace sees of a failed attempt", () => {
  it("should show the receiver's status only, never its body", async () => {
    const ws = "ws-redeliver-error-text";
    await scriptReceiver(ws, [{ status: 503, body: "stack trace: db password=hunter2 at line 7" }]);
    const id = await firstEvent(ws);
    expect(await outboxRow(id)).toMatchObject({ last_status: 503, last_error: "HTTP 503" });
    const listed = await call(`/integration/webhooks/events?workspace_id=${ws}`, {
      bearer: await token({ [ws]: "admin" }),
    });
    const text = await listed.text();
    expect(text).toContain('"last_error":"HTTP 503"');
    expect(text).not.toContain("hunter2");
  });
});

describe("a webhook consumer that throws", () => {
  it("should retry that message later, not at once", async () => {
    const ws = "ws-redeliver-throws";
    await scriptReceiver(ws, [{ status: 500 }]);
    const id = await firstEvent(ws);
    // D1 down: the outbox cannot even be read.
    const broken = {
      ...env,
      DB: {
        prepare: () => {
          throw new Error("D1 is unavailable");
        },
      },
    } as unknown as Env;
    const result = await consumeOnce(id, 2, broken);
    expect(result).toMatchObject({ retried: true, acked: false, delaySeconds: 60 });
    expect(await received(ws)).toHaveLength(1);
  });
});
