// Migration 0010 (refresh_hard_expiry) applied to a database filled under the previous schema: every
// connection and pending grant keeps working, with no hard expiry known and none announced yet.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyRingFromEnv } from "../../src/framework/crypto";
import { db } from "../../src/storage/db";
import { getPendingGrant } from "../../src/storage/pending";
import { loadAccess } from "../../src/workspace/integration-access";
import { sealLegacy } from "../legacy-seal";

const BEFORE = env.TEST_MIGRATIONS.findIndex((m) => m.name.startsWith("0010"));

describe("migration 0010: the refresh token's hard expiry", () => {
  it("should keep every connection and pending grant, with no hard expiry known yet", async () => {
    expect(BEFORE).toBeGreaterThan(0);
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS.slice(0, BEFORE));
    const sealed = await sealLegacy(env.TOKEN_ENCRYPTION_KEY, "ws-old", "QuickBooks", {
      accessToken: "at-old",
      refreshToken: "rt-old",
      tokenType: "bearer",
    });
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO integration_access (workspace_id, integration, token_ciphertext, key_id, tenant_id, generation,
           created_at, updated_at, tokens_issued_at)
         VALUES ('ws-old', 'QuickBooks', ?, ?, '1234', 2, 1, 1, 1)`,
      ).bind(sealed.ciphertext, sealed.keyId),
      env.DB.prepare(
        `INSERT INTO pending_grants (id, workspace_id, integration, user_id, token_ciphertext, key_id, tenants, config,
           tokens_issued_at, created_at, pending_until)
         VALUES ('p-1', 'ws-old', 'QuickBooks', 'user-1', ?, ?, '[]', '{}', 1, 1, 9999999999999)`,
      ).bind(sealed.ciphertext, sealed.keyId),
    ]);

    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

    const d = db(env.DB);
    const access = await loadAccess(d, await keyRingFromEnv(env), "ws-old", "QuickBooks", "1234");
    expect(access).toMatchObject({ refreshHardExpiresAt: null, generation: 2, tokens: { accessToken: "at-old" } });
    expect(
      await env.DB.prepare("SELECT expiring_notified_for FROM integration_access WHERE workspace_id = 'ws-old'").first(),
    ).toEqual({ expiring_notified_for: null });
    expect((await getPendingGrant(d, "ws-old", "p-1"))?.refreshHardExpiresAt).toBeNull();
  });
});
