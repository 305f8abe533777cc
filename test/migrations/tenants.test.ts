// Migration 0009 (tenants) applied to a database filled under the previous schema: every connection
// keeps its tenant (a missing one becomes '') and keeps working with no action, cached data is
// indexed under its connection's tenant, and a pending grant lists the tenant it had.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../../src/framework/crypto";
import { getConnections } from "../../src/storage/connections";
import { db } from "../../src/storage/db";
import { getPendingGrant } from "../../src/storage/pending";
import { loadAccess } from "../../src/workspace/integration-access";
import { sealLegacy } from "../legacy-seal";

const BEFORE = env.TEST_MIGRATIONS.findIndex((m) => m.name.startsWith("0009"));

describe("migration 0009: a connection is (workspace, provider, tenant)", () => {
  it("should keep every existing connection, its tenant and its cached data working", async () => {
    expect(BEFORE).toBeGreaterThan(0);
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS.slice(0, BEFORE));
    const ring = await keyRingFromEnv(env);
    // Sealed as deployments of that time did.
    const sealed = await sealLegacy(env.TOKEN_ENCRYPTION_KEY, "ws-old", "Xero", {
      accessToken: "at-old",
      refreshToken: "rt-old",
      tokenType: "Bearer",
    });
    const insert = (integration: string, tenant: string | null) =>
      env.DB.prepare(
        `INSERT INTO integration_access (workspace_id, integration, token_ciphertext, key_id, tenant_id, additional_info,
           generation, connected_by, connected_at, created_at, updated_at, tokens_issued_at)
         VALUES ('ws-old', ?, ?, ?, ?, '{"tenants":[]}', 3, 'user-1', 1, 1, 1, 1)`,
      ).bind(integration, sealed.ciphertext, sealed.keyId, tenant);
    await env.DB.batch([
      insert("Xero", "org-1"),
      insert("BambooHR", null),
      env.DB.prepare(
        `INSERT INTO data_cache (workspace_id, integration, cache_date, created_at, last_requested_at, size, format_version)
         VALUES ('ws-old', 'Xero', 1640908800, 5, 6, 7, 2)`,
      ),
      env.DB.prepare(
        `INSERT INTO pending_grants (id, workspace_id, integration, user_id, token_ciphertext, key_id, tenant_id,
           additional_info, config, tokens_issued_at, created_at, pending_until)
         VALUES ('p-1', 'ws-old', 'Xero', 'user-1', ?, ?, 'org-2', '{"x":1}', '{}', 1, 1, 9999999999999)`,
      ).bind(sealed.ciphertext, sealed.keyId),
    ]);

    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

    const d = db(env.DB);
    const [xero] = await getConnections(d, "ws-old", "Xero");
    expect(xero).toMatchObject({ tenantId: "org-1", tenantName: null, generation: 3, connectedBy: "user-1" });
    const [bamboo] = await getConnections(d, "ws-old", "BambooHR");
    expect(bamboo?.tenantId).toBe("");
    // The tokens open as before: nothing to reconnect.
    expect((await loadAccess(d, ring, "ws-old", "Xero", "org-1"))?.tokens.accessToken).toBe("at-old");
    const cache = await env.DB.prepare("SELECT tenant_id, cache_date, size, format_version FROM data_cache").all();
    expect(cache.results).toEqual([{ tenant_id: "org-1", cache_date: 1640908800, size: 7, format_version: 2 }]);
    expect((await getPendingGrant(d, "ws-old", "p-1"))?.tenants).toEqual([
      { id: "org-2", name: null, type: null, readable: true, additionalInfo: { x: 1 } },
    ]);
    // A second tenant of the same provider now has a row of its own.
    await env.DB.prepare(
      `INSERT INTO integration_access (workspace_id, integration, token_ciphertext, key_id, tenant_id, created_at, updated_at)
       VALUES ('ws-old', 'Xero', 'x', 'k', 'org-2', 1, 1)`,
    ).run();
    await expect(
      env.DB.prepare(
        `INSERT INTO integration_access (workspace_id, integration, token_ciphertext, key_id, tenant_id, created_at, updated_at)
         VALUES ('ws-old', 'Xero', 'x', 'k', 'org-2', 1, 1)`,
      ).run(),
    ).rejects.toThrow(/UNIQUE/);
  });
});
