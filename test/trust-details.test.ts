// The smaller trust findings: storage errors that never quote their parameters, and a fetch log that
// records only fetches that reached the provider.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../src/framework/crypto";
import { db, StorageError } from "../src/storage/db";
import { storeAccess } from "../src/workspace/integration-access";
import { call, fetchRuns, getData, seedConnection, token } from "./helpers";

describe("storage errors", () => {
  it("should name the operation and D1's reason, never the query or its parameters", async () => {
    await env.DB.prepare("ALTER TABLE integration_access RENAME TO integration_access_away").run();
    try {
      const error = await storeAccess(db(env.DB), await keyRingFromEnv(env), {
        workspaceId: "ws-secret-workspace",
        integration: "Xero",
        tokens: { accessToken: "access-token-value", refreshToken: "refresh-token-value", tokenType: "Bearer" },
        expiresAt: null,
        scope: null,
        tenantId: "tenant-id-value",
        additionalInfo: {},
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ""}`;
      expect(text).toMatch(/save connection failed: .*no such table/);
      for (const secret of ["ws-secret-workspace", "tenant-id-value", "insert into", "params"])
        expect(text.toLowerCase()).not.toContain(secret);
      expect((error as Error).cause).toBeUndefined();
    } finally {
      await env.DB.prepare("ALTER TABLE integration_access_away RENAME TO integration_access").run();
    }
  });
});

describe("the fetch log", () => {
  it("should not record a request refused before reaching the provider as the last fetch", async () => {
    const ws = "ws-refused";
    await seedConnection(ws, "xero");
    await env.DB.prepare("UPDATE integration_access SET requires_reconnect = 1 WHERE workspace_id = ?").bind(ws).run();
    expect((await getData(ws, "Xero", "2024-01-01")).status).toBe(409);
    expect(await fetchRuns(ws, "Xero")).toEqual([]);
    const status = await (
      await call(`/integration/status?workspace_id=${ws}`, { bearer: await token({ [ws]: "member" }) })
    ).json<{ integration: string; last_fetch: unknown }[]>();
    expect(status).toEqual([expect.objectContaining({ integration: "Xero", last_fetch: null })]);
  });
});
