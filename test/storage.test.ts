// The D1 schema the migrations create.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const columns = async (table: string) =>
  (await env.DB.prepare(`SELECT name FROM pragma_table_info('${table}')`).all<{ name: string }>()).results.map(
    (r) => r.name,
  );

describe("migrations", () => {
  it("should create the three tables with their columns", async () => {
    expect(await columns("integration_access")).toEqual(
      expect.arrayContaining([
        "workspace_id",
        "integration",
        "token_ciphertext",
        "key_id",
        "expires_at",
        "scope",
        "tenant_id",
        "tenant_name",
        "requires_reconnect",
        "additional_info",
        "created_at",
        "updated_at",
        "tokens_issued_at",
        "last_refresh_at",
        "last_refresh_error",
        "refresh_failures",
      ]),
    );
    expect(await columns("data_cache")).toEqual([
      "workspace_id",
      "integration",
      "tenant_id",
      "cache_date",
      "payload",
      "created_at",
      "last_requested_at",
      "size",
      "format_version",
    ]);
    // The fetch log lives in each workspace's object since migration 0007.
    expect(await columns("fetch_runs")).toEqual([]);
  });

  it("should keep one connection per workspace, provider and tenant", async () => {
    const insert = (tenant: string) =>
      env.DB.prepare(
        "INSERT INTO integration_access (workspace_id, integration, tenant_id, token_ciphertext, key_id, created_at, updated_at) VALUES ('w', 'Xero', ?, 'x', 'k', 0, 0)",
      )
        .bind(tenant)
        .run();
    await insert("org-a");
    await insert("org-b");
    await expect(insert("org-a")).rejects.toThrow(/UNIQUE/);
  });
});
