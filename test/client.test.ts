// The host-app kit's createClient (client/src/api.ts) against the worker's real fetch handler: the
// typed routes, and a bearer asked of getToken for every call.
import { exports } from "cloudflare:workers";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createClient } from "../client/src/api";
import { token } from "./helpers";

const BASE = "https://integrations.example.test";

/** A client whose getToken mints the next bearer from `workspaces` and counts the calls. */
function client(workspaces: () => Record<string, "admin" | "member">) {
  const asked = { count: 0 };
  const api = createClient({
    baseUrl: BASE,
    getToken: () => {
      asked.count += 1;
      return token(workspaces());
    },
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
  });
  return { api, asked };
}

describe("createClient", () => {
  it("should call the typed routes with a fresh bearer each time", async () => {
    const { api, asked } = client(() => ({ "ws-kit": "member" }));
    const listed = await api.integration.providers.$get({ query: { workspace_id: "ws-kit" } });
    expect(listed.status).toBe(200);
    const providers = await listed.json();
    expectTypeOf(providers[0]!.connected).toEqualTypeOf<boolean>();
    expect(providers.map((p) => p.name)).toContain("Xero");

    // A JSON body keeps its Content-Type beside the Authorization the client adds.
    const created = await api.integration["connect-sessions"].$post({
      json: { workspace_id: "ws-kit", integration: "Xero" },
    });
    expect(created.status).toBe(201);
    if (created.status !== 201) return;
    expectTypeOf(await created.json()).toEqualTypeOf<{ url: string; expires_at: string }>();
    expect(asked.count).toBe(2);
  });

  it("should send the token getToken gives at the time of the call", async () => {
    let workspaces: Record<string, "admin" | "member"> = { "ws-kit-other": "member" };
    const { api } = client(() => workspaces);
    const refused = await api.integration.status.$get({ query: { workspace_id: "ws-kit" } });
    expect(refused.status).toBe(403);
    workspaces = { "ws-kit": "member" };
    const allowed = await api.integration.status.$get({ query: { workspace_id: "ws-kit" } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual([]);
  });
});
