// Webhooks are off when WEBHOOK_URL is empty (this project's setting): state changes record no
// event, the listing says so, and a redelivery is refused. test/webhooks/ runs with them on.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, connectThroughPopup, errorOf, token } from "./helpers";

describe("webhooks off", () => {
  it("should record no event, list none as disabled, and refuse a redelivery", async () => {
    expect(env.WEBHOOK_URL).toBe("");
    const ws = "ws-hooks-off";
    await connectThroughPopup(ws, "Gusto");
    const bearer = await token({ [ws]: "admin" });
    await call(`/integration/disconnect?workspace_id=${ws}&integration=Gusto`, { method: "POST", bearer });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM webhook_events").first<{ n: number }>();
    expect(rows?.n).toBe(0);

    const listed = await call(`/integration/webhooks/events?workspace_id=${ws}`, { bearer });
    expect(await listed.json()).toEqual({ enabled: false, events: [] });
    const redeliver = await call(`/integration/webhooks/events/msg_abc/redeliver?workspace_id=${ws}`, {
      method: "POST",
      bearer,
    });
    expect(redeliver.status).toBe(409);
    expect(await errorOf(redeliver)).toMatchObject({ code: "webhooks_disabled" });
  });
});
