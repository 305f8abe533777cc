import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { db } from "../src/storage/db";
import { storeAccess } from "../src/workspace/integration-access";
import { keyRingFromEnv } from "../src/framework/crypto";
import { availableProviders } from "../src/providers/registry";
import { call, errorOf, token } from "./helpers";

async function connect(workspaceId: string, integration: string, requiresReconnect = false) {
  await storeAccess(db(env.DB), await keyRingFromEnv(env), {
    workspaceId,
    integration,
    tokens: { accessToken: "at", refreshToken: "rt", tokenType: "Bearer" },
    expiresAt: Date.now() + 3600_000,
    scope: null,
    tenantId: "tenant",
    additionalInfo: {},
    requiresReconnect,
  });
}

describe("GET /integration/providers", () => {
  it("should list every registered provider in registry order with its connection state", async () => {
    await connect("ws-list", "Xero");
    await connect("ws-list", "Gusto", true);
    await connect("ws-other", "Xero");
    const res = await call("/integration/providers?workspace_id=ws-list", {
      bearer: await token({ "ws-list": "member" }),
    });
    expect(res.status).toBe(200);
    const body = await res.json<{ name: string; connected: boolean; requires_reconnect: boolean }[]>();
    expect(body.map((p) => p.name)).toEqual(availableProviders(env).map((p) => p.name));
    expect(body.find((p) => p.name === "Xero")).toMatchObject({
      connected: true,
      requires_reconnect: false,
      api_type: "accounting",
    });
    expect(body.find((p) => p.name === "Gusto")).toMatchObject({
      connected: true,
      requires_reconnect: true,
      api_type: "payroll",
    });
  });

  it("should show nothing connected for a workspace without connections", async () => {
    const res = await call("/integration/providers?workspace_id=ws-empty", {
      bearer: await token({ "ws-empty": "admin" }),
    });
    const body = await res.json<{ connected: boolean; requires_reconnect: boolean }[]>();
    expect(body.length).toBe(availableProviders(env).length);
    expect(body.every((p) => !p.connected && !p.requires_reconnect)).toBe(true);
  });

  it("should show a connection made after the workspace was listed: only the bindings' part is kept", async () => {
    const bearer = await token({ "ws-later": "member" });
    const before = await (await call("/integration/providers?workspace_id=ws-later", { bearer })).json();
    await connect("ws-later", "Xero", true);
    const res = await call("/integration/providers?workspace_id=ws-later", { bearer });
    const after = await res.json<{ name: string; connected: boolean; requires_reconnect: boolean }[]>();
    expect(after.find((p) => p.name === "Xero")).toMatchObject({ connected: true, requires_reconnect: true });
    expect(after.filter((p) => p.name !== "Xero")).toEqual(
      (before as { name: string }[]).filter((p) => p.name !== "Xero"),
    );
  });

  it("should answer the JSON c.json would, with no SQL built again for a second listing", async () => {
    await connect("ws-bytes", "Gusto");
    const bearer = await token({ "ws-bytes": "member" });
    await call("/integration/providers?workspace_id=ws-bytes", { bearer });
    const prepare = vi.spyOn(env.DB, "prepare");
    try {
      const res = await call("/integration/providers?workspace_id=ws-bytes", { bearer });
      expect(res.headers.get("Content-Type")).toBe("application/json");
      const text = await res.text();
      expect(text).toBe(JSON.stringify(JSON.parse(text)));
      expect(JSON.parse(text)).toContainEqual(expect.objectContaining({ name: "Gusto", connected: true }));
      expect(prepare).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("should refuse a workspace the caller does not belong to", async () => {
    const res = await call("/integration/providers?workspace_id=ws-list", {
      bearer: await token({ "ws-other": "admin" }),
    });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("forbidden");
  });

  it("should answer 400 with the error shape when workspace_id is missing", async () => {
    const res = await call("/integration/providers", { bearer: await token({ "ws-list": "member" }) });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_request");
    expect(error.message).toContain("workspace_id");
  });
});
