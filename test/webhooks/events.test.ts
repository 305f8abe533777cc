// Every webhook event type, end to end: a real state change in the workspace object, its outbox row
// in D1, WEBHOOK_QUEUE, the consumer, and the fake server's receiver; each delivery verified with
// the standardwebhooks reference library under the current and the previous secret (a rotation).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepWebhooks } from "../../src/jobs/webhooks";
import { db } from "../../src/storage/db";
import { workspaceClient } from "../../src/workspace/client";
import { WebhookEvents } from "../../src/workspace/webhook-events";
import { clearScripts, findGrant, scriptApi, scriptToken } from "../fake-client";
import { call, connectThroughPopup, getData, token } from "../helpers";
import { deliveries, outboxRow, type Received, received, type SentEvent, until, verified } from "./helpers";

/** The delivery of the `n`th event (1-based) for `workspaceId`, verified, with its id and body. */
async function nth(workspaceId: string, n: number): Promise<{ id: string; event: SentEvent; delivery: Received }> {
  const delivery = (await deliveries(workspaceId, n))[n - 1]!;
  return { id: delivery.headers["webhook-id"]!, event: verified(delivery), delivery };
}

async function grantIdOf(code: string): Promise<string> {
  return (await findGrant({ code }))!.grantId;
}

describe("webhook events", () => {
  it("should send every event type, signed, with ids, dates and codes only", async () => {
    const ws = "ws-hook-all";
    const first = await connectThroughPopup(ws, "Xero", { sub: "user-first" });
    const created = await nth(ws, 1);
    expect(created.event.type).toBe("connection.created");
    const tenant = created.event.data["tenant_id"];
    expect(tenant).toEqual(expect.any(String));
    // Every event names its connection: the workspace, the integration and the tenant.
    const about = { workspace_id: ws, integration: "Xero", tenant_id: tenant };
    expect(created.event.data).toEqual({ ...about, connected_by: "user-first", source: "connect" });
    expect(Date.parse(created.event.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(created.id).toMatch(/^msg_/);
    expect((await outboxRow(created.id))?.state).toBe("delivered");

    // A provider refusing the data request: data.fetch_failed with the reason, no data stored.
    const grantId = await grantIdOf(first.code);
    await scriptApi(grantId, [{ status: 403 }]);
    expect((await getData(ws, "Xero", "2024-06-15")).status).toBe(502);
    const failed = await nth(ws, 2);
    expect(failed.event.type).toBe("data.fetch_failed");
    // The entry's one name: its cache date (from_date 2024-06-15 → 2024-05-31), as data and runs show it.
    expect(failed.event.data).toEqual({
      ...about,
      cache_date: "2024-05-31",
      from_date: "2024-05-31",
      reason: "provider_error",
      trigger: "on_demand",
    });

    await clearScripts(grantId);
    const data = await getData(ws, "Xero", "2024-06-15");
    expect(data.status).toBe(200);
    const { fetched_at } = await data.json<{ fetched_at: string }>();
    const fetched = await nth(ws, 3);
    expect(fetched.event.type).toBe("data.fetched");
    // The entry's cache date (from_date 2024-06-15 → 2024-05-31) and the same fetched_at the data carries.
    expect(fetched.event.data).toEqual({
      ...about,
      cache_date: "2024-05-31",
      from_date: "2024-05-31",
      fetched_at,
      trigger: "on_demand",
    });
    // Never an amount or a name: the body is exactly the declared fields.
    expect(Object.keys(JSON.parse(fetched.delivery.body) as object)).toEqual(["type", "timestamp", "data"]);

    // The same organisation consented to again: its connection is replaced.
    const second = await connectThroughPopup(ws, "Xero", { sub: "admin-1", role: "admin", tenant: String(tenant) });
    const replaced = await nth(ws, 4);
    expect(replaced.event.type).toBe("connection.replaced");
    expect(replaced.event.data).toEqual({ ...about, connected_by: "admin-1", source: "connect" });

    // The provider refuses the new grant's refresh: requires_reconnect, once.
    await scriptToken(await grantIdOf(second.code), [{ status: 400, error: "invalid_grant" }]);
    expect((await workspaceClient(env, ws).refreshNow({ integration: "Xero" })).ok).toBe(false);
    expect((await workspaceClient(env, ws).refreshNow({ integration: "Xero" })).ok).toBe(false);
    const reconnect = await nth(ws, 5);
    expect(reconnect.event.type).toBe("connection.requires_reconnect");
    expect(reconnect.event.data).toEqual({ ...about, reason: "invalid_grant" });

    const res = await call(`/integration/disconnect?workspace_id=${ws}&integration=Xero`, {
      method: "POST",
      bearer: await token({ [ws]: "admin" }, { sub: "admin-2" }),
    });
    expect(res.status).toBe(200);
    const deleted = await nth(ws, 6);
    expect(deleted.event.type).toBe("connection.deleted");
    expect(deleted.event.data).toEqual({ ...about, by: "admin-2" });

    // Nothing else was sent: one event per change, each delivered once. The outbox says when the
    // consumer is done: six rows, every one delivered.
    await until(async () => {
      const rows = await env.DB.prepare("SELECT state FROM webhook_events WHERE workspace_id = ?")
        .bind(ws)
        .all<{ state: string }>();
      return rows.results.length === 6 && rows.results.every((r) => r.state === "delivered");
    }, "six events delivered");
    const all = await received(ws);
    expect(all.map((d) => verified(d).type)).toEqual([
      "connection.created",
      "data.fetch_failed",
      "data.fetched",
      "connection.replaced",
      "connection.requires_reconnect",
      "connection.deleted",
    ]);
    expect(new Set(all.map((d) => d.headers["webhook-id"])).size).toBe(6);
    for (const d of all) {
      expect(d.headers["content-type"]).toBe("application/json");
      expect(d.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    }
  });

  it("should not send connection.deleted for a disconnect that found no connection", async () => {
    const ws = "ws-hook-nothing";
    await connectThroughPopup(ws, "Gusto");
    await deliveries(ws, 1);
    for (let i = 0; i < 2; i++) {
      await call(`/integration/disconnect?workspace_id=${ws}&integration=Gusto`, {
        method: "POST",
        bearer: await token({ [ws]: "admin" }),
      });
    }
    await until(
      async () =>
        (await env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE workspace_id = ? AND state = 'delivered'")
          .bind(ws)
          .first<{ n: number }>())!.n === 2,
      "both events delivered",
    );
    const rows = await env.DB.prepare("SELECT type FROM webhook_events WHERE workspace_id = ? ORDER BY occurred_at")
      .bind(ws)
      .all<{ type: string }>();
    expect(rows.results.map((r) => r.type)).toEqual(["connection.created", "connection.deleted"]);
  });
});

describe("webhook settings", () => {
  const fetched = {
    cache_date: "2023-12-31",
    from_date: "2023-12-31",
    fetched_at: new Date().toISOString(),
    trigger: "cron",
  };

  it("should record only the event types WEBHOOK_EVENTS names, and every type when it names an unknown one", () => {
    const only = new WebhookEvents(
      { ...env, WEBHOOK_EVENTS: "connection.deleted, data.fetch_failed" } as Env,
      db(env.DB),
      "ws-hook-types",
    );
    expect(only.create("data.fetched", { integration: "Gusto", tenantId: "" }, fetched)).toBeUndefined();
    expect(only.create("connection.deleted", { integration: "Gusto", tenantId: "" }, { by: "user-1" })?.type).toBe(
      "connection.deleted",
    );
    const typo = new WebhookEvents(
      { ...env, WEBHOOK_EVENTS: "connection.deleted,data.fetchd" } as Env,
      db(env.DB),
      "ws-hook-types",
    );
    expect(typo.create("data.fetched", { integration: "Gusto", tenantId: "" }, fetched)?.type).toBe("data.fetched");
  });

  it("should delete delivered events once WEBHOOK_DELIVERED_RETENTION_MS has passed", async () => {
    const ws = "ws-hook-retention";
    await connectThroughPopup(ws, "Gusto");
    await deliveries(ws, 1);
    const delivered = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE workspace_id = ? AND state = 'delivered'")
        .bind(ws)
        .first<{ n: number }>())!.n;
    await until(async () => (await delivered()) === 1, "the delivery recorded");
    const now = Date.now() + 60_000;
    await sweepWebhooks({ ...env, WEBHOOK_DELIVERED_RETENTION_MS: "3600000" } as Env, now);
    expect(await delivered()).toBe(1);
    await sweepWebhooks({ ...env, WEBHOOK_DELIVERED_RETENTION_MS: "30000" } as Env, now);
    expect(await delivered()).toBe(0);
  });
});
