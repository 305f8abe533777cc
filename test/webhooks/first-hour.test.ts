// With webhooks on: one name for a cached entry across the data, the fetch log and the data.fetched
// event (verified with the standardwebhooks library), and a retried confirm that sends no second
// connection event.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { workspaceClient } from "../../src/workspace/client";
import { findGrant, grantRequests } from "../fake-client";
import { authorizeThroughPopup, confirm, getData, seedConnection } from "../helpers";
import { deliveries, verified } from "./helpers";

describe("one name for a cached range", () => {
  it("should name the entry by its cache date in the data, the runs and data.fetched, and serve it again by that date", async () => {
    const ws = "ws-one-name";
    const grant = await seedConnection(ws, "xero");
    const res = await getData(ws, "Xero", "2025-04-15");
    expect(res.status).toBe(200);
    const body = await res.json<{ cache_date: string; dates: string[] }>();
    // April has 30 days: the entry is March's.
    expect(body.cache_date).toBe("2025-03-31");
    expect(body.dates[0]).toBe(body.cache_date);

    const [event] = (await deliveries(ws, 1)).map(verified);
    expect(event?.type).toBe("data.fetched");
    expect(event?.data).toMatchObject({ cache_date: "2025-03-31", from_date: "2025-03-31" });

    const runs = await workspaceClient(env, ws).fetchRuns({ integration: "Xero" }, 10);
    expect(runs.ok && runs.runs.map((r) => r.cacheDate)).toEqual([Date.UTC(2025, 2, 31) / 1000]);

    // Reading with that name: the same entry, no upstream call.
    const calls = (await grantRequests(grant.grantId)).length;
    const again = await getData(ws, "Xero", "2025-03-31");
    expect(await again.json()).toEqual(body);
    expect((await grantRequests(grant.grantId)).length).toBe(calls);
  });
});

describe("a retried confirm", () => {
  it("should send connection.created once", async () => {
    const ws = "ws-retry-hook";
    const { confirmToken, code } = await authorizeThroughPopup(ws, "Gusto");
    expect((await confirm(ws, "Gusto", confirmToken)).status).toBe(200);
    expect((await confirm(ws, "Gusto", confirmToken)).status).toBe(200);
    const [created] = (await deliveries(ws, 1)).map(verified);
    expect(created?.type).toBe("connection.created");
    expect(created?.data.tenant_id).toBe((await findGrant({ code }))!.tenantIds[0]);
    // Every event is in the outbox with the change it reports: the retry recorded none.
    const outbox = await env.DB.prepare("SELECT type FROM webhook_events WHERE workspace_id = ?")
      .bind(ws)
      .all<{ type: string }>();
    expect(outbox.results.map((r) => r.type)).toEqual(["connection.created"]);
  });
});
