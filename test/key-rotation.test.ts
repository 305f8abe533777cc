// Token encryption at rest and key rotation: rows under a retired key still decrypt, and are
// rewritten under the current key the next time their tokens are written.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { db } from "../src/storage/db";
import { loadAccess, storeAccess } from "../src/workspace/integration-access";
import { KeyRing, keyRingFromEnv } from "../src/framework/crypto";
import { createGrant, stats } from "./fake-client";
import { accessOutcome, rawAccessRow } from "./helpers";

const OLD_KEY = env.TOKEN_ENCRYPTION_PREVIOUS_KEYS; // "test0:…"

const sample = (workspaceId: string) => ({
  workspaceId,
  integration: "Xero",
  tokens: { accessToken: "access-secret-value", refreshToken: "refresh-secret-value", tokenType: "Bearer" },
  expiresAt: Date.now() + 3600_000,
  scope: null,
  tenantId: "t",
  additionalInfo: {},
});

describe("token encryption", () => {
  it("should keep no token string in the D1 row and record the key id", async () => {
    await storeAccess(db(env.DB), await keyRingFromEnv(env), sample("ws-enc"));
    const row = (await rawAccessRow("ws-enc", "Xero"))!;
    expect(JSON.stringify(row)).not.toContain("secret-value");
    expect(row.key_id).toBe("test1");
  });

  it("should not decrypt a ciphertext moved to another row", async () => {
    await storeAccess(db(env.DB), await keyRingFromEnv(env), sample("ws-a"));
    await storeAccess(db(env.DB), await keyRingFromEnv(env), {
      ...sample("ws-b"),
      tokens: { accessToken: "b", refreshToken: "b", tokenType: null },
    });
    await env.DB.prepare(
      "UPDATE integration_access SET token_ciphertext = (SELECT token_ciphertext FROM integration_access WHERE workspace_id = 'ws-a') WHERE workspace_id = 'ws-b'",
    ).run();
    await expect(loadAccess(db(env.DB), await keyRingFromEnv(env), "ws-b", "Xero")).rejects.toThrow();
  });

  it("should refuse malformed keys with a message that names the variable, not the key", async () => {
    await expect(KeyRing.fromConfig("nocolon")).rejects.toThrow(/TOKEN_ENCRYPTION_KEY must look like/);
    await expect(KeyRing.fromConfig("k:AAAA")).rejects.toThrow(/must be 32 bytes/);
    await expect(KeyRing.fromConfig(env.TOKEN_ENCRYPTION_KEY, "bad")).rejects.toThrow(/TOKEN_ENCRYPTION_PREVIOUS_KEYS/);
  });

  it("should name the missing key when a row's key is no longer configured", async () => {
    const onlyCurrent = await KeyRing.fromConfig(env.TOKEN_ENCRYPTION_KEY);
    await storeAccess(db(env.DB), await KeyRing.fromConfig(OLD_KEY), sample("ws-lost"));
    await expect(loadAccess(db(env.DB), onlyCurrent, "ws-lost", "Xero")).rejects.toThrow(/"test0" is not configured/);
  });
});

describe("key rotation through the worker", () => {
  it("should read a row written under the old key and rewrite it under the new one on refresh", async () => {
    const grant = await createGrant({ provider: "xero", expiresIn: -60 });
    await storeAccess(db(env.DB), await KeyRing.fromConfig(OLD_KEY), {
      ...sample("ws-rotate"),
      tokens: { accessToken: grant.access_token, refreshToken: grant.refresh_token, tokenType: "Bearer" },
      expiresAt: Date.now() - 60_000,
    });
    expect((await rawAccessRow("ws-rotate", "Xero"))!.key_id).toBe("test0");

    const outcome = await accessOutcome("ws-rotate", "Xero");
    expect(outcome.ok).toBe(true);
    const summary = await stats(grant.grantId);
    expect(outcome.ok && outcome.access.accessToken).toBe(summary.currentAccessToken);
    expect((await rawAccessRow("ws-rotate", "Xero"))!.key_id).toBe("test1");
    const access = await loadAccess(
      db(env.DB),
      await KeyRing.fromConfig(env.TOKEN_ENCRYPTION_KEY),
      "ws-rotate",
      "Xero",
    );
    expect(access?.tokens.refreshToken).toBe(summary.currentRefreshToken);
  });
});
