// `connection.expiring`: the cron announces a connection whose refresh token reaches its hard expiry
// (QuickBooks: five years after consent) within 30 days, once per connection and expiry, only for the
// types WEBHOOK_EVENTS lets through, and delivered signed like every event.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { announceExpiring } from "../../src/jobs/expiring";
import { connectThroughPopup } from "../helpers";
import { received, type SentEvent, until, verified } from "./helpers";

const DAY = 24 * 3600_000;

async function connection(ws: string) {
  return (await env.DB.prepare(
    "SELECT tenant_id, refresh_hard_expires_at, expiring_notified_for FROM integration_access WHERE workspace_id = ?",
  )
    .bind(ws)
    .first<{ tenant_id: string; refresh_hard_expires_at: number | null; expiring_notified_for: number | null }>())!;
}

/** The `connection.expiring` events the receiver got for `ws`, verified. */
async function expiringEvents(ws: string): Promise<SentEvent[]> {
  return (await received(ws)).map(verified).filter((e) => e.type === "connection.expiring");
}

describe("connection.expiring", () => {
  it("should be sent once, 30 days before the hard expiry, and again only for a new expiry", async () => {
    const ws = "ws-expiring";
    await connectThroughPopup(ws, "QuickBooks");
    const { tenant_id, refresh_hard_expires_at: hard } = await connection(ws);
    expect(hard).toEqual(expect.any(Number));

    // More than 30 days ahead: nothing yet.
    expect(await announceExpiring(env, hard! - 31 * DAY)).toEqual({ announced: 0 });
    // Not among WEBHOOK_EVENTS: not recorded, and not marked either, so it still goes out once it is.
    const filtered = { ...env, WEBHOOK_EVENTS: "connection.created,connection.deleted" } as Env;
    expect(await announceExpiring(filtered, hard! - 29 * DAY)).toEqual({ announced: 0 });
    expect((await connection(ws)).expiring_notified_for).toBeNull();

    expect(await announceExpiring(env, hard! - 29 * DAY)).toEqual({ announced: 1 });
    const [event] = await until(async () => {
      const events = await expiringEvents(ws);
      return events.length > 0 && events;
    }, "the connection.expiring delivery");
    expect(event!.data).toEqual({
      workspace_id: ws,
      integration: "QuickBooks",
      tenant_id,
      refresh_token_expires_at: new Date(hard!).toISOString(),
    });
    expect((await connection(ws)).expiring_notified_for).toBe(hard);
    // Once per connection and expiry: the next ticks say nothing.
    expect(await announceExpiring(env, hard! - 28 * DAY)).toEqual({ announced: 0 });
    expect(await announceExpiring(env, hard! + DAY)).toEqual({ announced: 0 });

    // A new consent has an expiry of its own: announced again, here from the cron trigger itself.
    const later = hard! + 365 * DAY;
    await env.DB.prepare("UPDATE integration_access SET refresh_hard_expires_at = ? WHERE workspace_id = ?")
      .bind(later, ws)
      .run();
    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: later - 29 * DAY }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await connection(ws)).expiring_notified_for).toBe(later);
    const events = await until(async () => {
      const list = await expiringEvents(ws);
      return list.length > 1 && list;
    }, "the second connection.expiring delivery");
    expect(events.map((e) => e.data["refresh_token_expires_at"])).toEqual([
      new Date(hard!).toISOString(),
      new Date(later).toISOString(),
    ]);
  });

  it("should not announce a connection that already needs a reconnect", async () => {
    const ws = "ws-expiring-broken";
    await connectThroughPopup(ws, "QuickBooks");
    const { refresh_hard_expires_at: hard } = await connection(ws);
    await env.DB.prepare("UPDATE integration_access SET requires_reconnect = 1 WHERE workspace_id = ?").bind(ws).run();
    expect(await announceExpiring(env, hard! - 29 * DAY)).toEqual({ announced: 0 });
    expect((await connection(ws)).expiring_notified_for).toBeNull();
  });
});
