// The API through hono/client's hc<AppType>, as a host app would call it: inputs and outputs typed
// from the route definitions, requests served by the worker's real fetch handler.
import { exports } from "cloudflare:workers";
import { hc } from "hono/client";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { AppType } from "../src/edge/app";
import { seedConnection, token } from "./helpers";

const BASE = "https://integrations.example.test";

async function client(workspaces: Record<string, "admin" | "member">) {
  const bearer = await token(workspaces);
  return hc<AppType>(BASE, {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(new Request(input, init)),
    headers: { Authorization: `Bearer ${bearer}` },
  });
}

describe("hc<AppType>", () => {
  it("should list providers with typed fields", async () => {
    const api = await client({ "ws-hc": "member" });
    const res = await api.integration.providers.$get({ query: { workspace_id: "ws-hc" } });
    expect(res.status).toBe(200);
    const providers = await res.json();
    expectTypeOf(providers).toEqualTypeOf<
      {
        name: string;
        display_name: string;
        api_type: "accounting" | "payroll" | null;
        configured: boolean;
        connection_config: Record<
          string,
          { description: string; pattern: string | null; values: string[] | null; example: string }
        > | null;
        connected: boolean;
        connections: {
          tenant_id: string | null;
          tenant_name: string | null;
          connected_by: string | null;
          connected_at: string | null;
          requires_reconnect: boolean;
          last_fetch: { at: string; outcome: string; error: string | null } | null;
        }[];
        requires_reconnect: boolean;
        connected_by: string | null;
        connected_at: string | null;
      }[]
    >();
    expect(providers.length).toBeGreaterThan(0);
    for (const p of providers) expect(p).toMatchObject({ connected: false, configured: true });
  });

  it("should create a connect session from a typed JSON body", async () => {
    const api = await client({ "ws-hc": "member" });
    const res = await api.integration["connect-sessions"].$post({
      json: { workspace_id: "ws-hc", integration: "Xero" },
    });
    expect(res.status).toBe(201);
    if (res.status !== 201) return;
    const session = await res.json();
    expectTypeOf(session).toEqualTypeOf<{ url: string; expires_at: string }>();
    expect(new URL(session.url).pathname).toBe("/integration/xero/login");
  });

  it("should read a connection's status and disconnect it", async () => {
    await seedConnection("ws-hc-admin", "gusto");
    const api = await client({ "ws-hc-admin": "admin" });
    const status = await (await api.integration.status.$get({ query: { workspace_id: "ws-hc-admin" } })).json();
    expect(status.map((s) => [s.integration, s.requires_reconnect])).toEqual([["Gusto", false]]);
    const res = await api.integration.disconnect.$post({
      query: { workspace_id: "ws-hc-admin", integration: "Gusto" },
    });
    expect(await res.json()).toEqual({ message: "Integration Gusto has been disconnected", disconnected: true });
  });

  it("should answer errors in the error shape", async () => {
    const api = await client({ "ws-hc": "member" });
    const res = await api.integration.data.$get({
      query: { workspace_id: "ws-hc", integration: "Xero", from_date: "2024-01-01" },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: "not_connected", message: "Xero is not connected for this workspace" },
    });
  });
});
