// An imported connection announces itself like a confirmed one, saying where it came from:
// `connection.created` (then `connection.replaced` on a second import) with `source: "import"`.
import { describe, expect, it } from "vitest";
import { TEST_BINDINGS } from "../bindings";
import { createGrant } from "../fake-client";
import { call } from "../helpers";
import { deliveries, verified } from "./helpers";

describe("imported connections' webhook events", () => {
  it("should send connection.created, then connection.replaced, with source import and no token", async () => {
    const ws = "ws-hook-import";
    const grant = await createGrant({ provider: "gusto" });
    const item = {
      workspace_id: ws,
      integration: "Gusto",
      access_token: grant.access_token,
      refresh_token: grant.refresh_token,
    };
    for (const _ of [1, 2]) {
      const res = await call("/admin/connections/import", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ connections: [item] }),
        bearer: TEST_BINDINGS.ADMIN_API_TOKEN,
      });
      expect(res.status).toBe(200);
    }
    const [created, replaced] = (await deliveries(ws, 2)).map(verified);
    const about = { workspace_id: ws, integration: "Gusto", tenant_id: grant.tenantIds[0] };
    expect(created).toMatchObject({ type: "connection.created" });
    expect(created!.data).toEqual({ ...about, connected_by: "import", source: "import" });
    expect(replaced).toMatchObject({ type: "connection.replaced", data: { ...about, source: "import" } });
    for (const d of await deliveries(ws, 2)) {
      expect(d.body).not.toContain(grant.access_token);
      expect(d.body).not.toContain(grant.refresh_token);
    }
  });
});
