// The admin API over the outbox: listing a workspace's events with their delivery state (newest
// first, by page and state) and redelivering one, with its authorization and validation.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { WEBHOOK_MAX_ATTEMPTS } from "../../src/framework/webhook-delivery";
import { call, connectThroughPopup, errorOf, token } from "../helpers";
import { consumeOnce, deliveries, outboxRow, received, scriptReceiver, until, verified } from "./helpers";

interface EventEntry {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  state: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

async function list(ws: string, query = "", role: "admin" | "member" = "admin") {
  return call(`/integration/webhooks/events?workspace_id=${ws}${query}`, { bearer: await token({ [ws]: role }) });
}

async function redeliver(ws: string, id: string, role: "admin" | "member" = "admin") {
  return call(`/integration/webhooks/events/${id}/redeliver?workspace_id=${ws}`, {
    method: "POST",
    bearer: await token({ [ws]: role }),
  });
}

describe("webhook events API", () => {
  it("should list the workspace's events newest first, with delivery state, by page and by state", async () => {
    const ws = "ws-hook-list";
    await connectThroughPopup(ws, "Gusto");
    await connectThroughPopup(ws, "Xero");
    await deliveries(ws, 2);
    await until(async () => {
      const body = await (await list(ws)).json<{ events: EventEntry[] }>();
      return body.events.every((e) => e.state === "delivered") && body.events.length === 2;
    }, "both delivered");

    const res = await list(ws);
    expect(res.status).toBe(200);
    const body = await res.json<{ enabled: boolean; events: EventEntry[] }>();
    expect(body.enabled).toBe(true);
    expect(body.events.map((e) => [e.type, e.data["integration"]])).toEqual([
      ["connection.created", "Xero"],
      ["connection.created", "Gusto"],
    ]);
    const [newest, oldest] = body.events;
    expect(newest).toMatchObject({ state: "delivered", attempts: 1, last_status: 204, last_error: null });
    expect(newest!.next_attempt_at).toBeNull();
    expect(Date.parse(newest!.delivered_at!)).toBeGreaterThanOrEqual(Date.parse(newest!.timestamp));

    const page = await (
      await list(ws, `&limit=1&before=${encodeURIComponent(newest!.timestamp)}`)
    ).json<{
      events: EventEntry[];
    }>();
    expect(page.events.map((e) => e.id)).toEqual([oldest!.id]);
    const pending = await (await list(ws, "&state=pending")).json<{ events: EventEntry[] }>();
    expect(pending.events).toEqual([]);
    // Another workspace sees none of them.
    const other = await (await list("ws-hook-list-other")).json<{ events: EventEntry[] }>();
    expect(other.events).toEqual([]);
  });

  it("should need the admin role and valid input", async () => {
    const ws = "ws-hook-auth";
    expect(await errorOf(await list(ws, "", "member"))).toMatchObject({ code: "forbidden" });
    const bad = await list(ws, "&limit=0");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/limit/);
    expect((await errorOf(await list(ws, "&state=lost"))).message).toMatch(/state/);
    expect((await errorOf(await list(ws, "&before=yesterday"))).message).toMatch(/before/);
    expect((await call(`/integration/webhooks/events?workspace_id=${ws}`)).status).toBe(401);

    expect((await redeliver(ws, "msg_abc", "member")).status).toBe(403);
    const malformed = await redeliver(ws, "not-an-id");
    expect(malformed.status).toBe(400);
    const error = await errorOf(malformed);
    expect(error.code).toBe("invalid_request");
    expect(error.message).toMatch(/id/);
    expect(await errorOf(await redeliver(ws, "msg_unknown"))).toMatchObject({ code: "not_found" });
  });

  it("should redeliver a dead event with a fresh set of attempts and the same webhook-id", async () => {
    const ws = "ws-hook-redeliver";
    await scriptReceiver(
      ws,
      Array.from({ length: WEBHOOK_MAX_ATTEMPTS }, () => ({ status: 500 })),
    );
    await connectThroughPopup(ws, "Gusto");
    const [first] = await deliveries(ws, 1);
    const id = first!.headers["webhook-id"]!;
    await until(async () => ((await outboxRow(id))?.attempts ?? 0) >= 1, "the first attempt");
    for (let attempt = 2; attempt <= WEBHOOK_MAX_ATTEMPTS; attempt++) await consumeOnce(id, attempt);
    expect((await outboxRow(id))?.state).toBe("dead");
    const listed = await (await list(ws, "&state=dead")).json<{ events: EventEntry[] }>();
    expect(listed.events.map((e) => [e.id, e.last_status])).toEqual([[id, 500]]);

    // A workspace admin of another workspace cannot reach it.
    expect(await errorOf(await redeliver("ws-hook-elsewhere", id))).toMatchObject({ code: "not_found" });

    const res = await redeliver(ws, id);
    expect(res.status).toBe(202);
    expect(await res.json<EventEntry>()).toMatchObject({ id, state: "pending", attempts: 0 });
    const all = await deliveries(ws, WEBHOOK_MAX_ATTEMPTS + 1);
    const again = all[WEBHOOK_MAX_ATTEMPTS]!;
    expect(again.headers["webhook-id"]).toBe(id);
    expect(verified(again)).toEqual(verified(first!));
    await until(async () => (await outboxRow(id))?.state === "delivered", "delivered on redelivery");
    expect(await outboxRow(id)).toMatchObject({ attempts: 1, last_status: 204 });
    expect(await received(ws)).toHaveLength(WEBHOOK_MAX_ATTEMPTS + 1);
    expect(env.WEBHOOK_URL).toContain("/webhooks/receive");
  });
});
