// Token encryption at rest and key rotation: rows under a retired key still decrypt, and are
// rewritten under the current key the next time their tokens are written (or by the re-seal job,
// test/token-reseal.test.ts); a sealed set opens only as the record it was sealed for.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { db } from "../src/storage/db";
import { loadAccess, storeAccess } from "../src/workspace/integration-access";
import {
  KeyRing,
  keyRingFromEnv,
  openTokens,
  SEAL_FORMAT,
  sealTokens,
  type TokenRecord,
} from "../src/framework/crypto";
import { createGrant, stats } from "./fake-client";
import { accessOutcome, rawAccessRow } from "./helpers";
import { sealLegacy } from "./legacy-seal";

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

describe("what a sealed token set is bound to", () => {
  const tokens = { accessToken: "bound-access", refreshToken: "bound-refresh", tokenType: "Bearer" };
  const at = { workspaceId: "ws-bound", integration: "Xero" };

  it("should open a set only as the record, generation, workspace and provider it was sealed for", async () => {
    const ring = await keyRingFromEnv(env);
    const sealed = await sealTokens(ring, { kind: "connection", ...at, generation: 1 }, tokens);
    expect(sealed.ciphertext.startsWith(SEAL_FORMAT)).toBe(true);
    expect(await openTokens(ring, { kind: "connection", ...at, generation: 1 }, sealed)).toEqual(tokens);
    const elsewhere: TokenRecord[] = [
      { kind: "connection", ...at, generation: 2 },
      { kind: "rotated", ...at, generation: 1 },
      { kind: "pending_grant", ...at, id: "1" },
      { kind: "connection", workspaceId: "ws-other", integration: "Xero", generation: 1 },
      { kind: "connection", workspaceId: "ws-bound", integration: "Gusto", generation: 1 },
    ];
    for (const record of elsewhere) await expect(openTokens(ring, record, sealed)).rejects.toThrow();
    // Without its format prefix it is read as the first format, whose additional data differs: no downgrade.
    const stripped = { ...sealed, ciphertext: sealed.ciphertext.slice(SEAL_FORMAT.length) };
    await expect(openTokens(ring, { kind: "connection", ...at, generation: 1 }, stripped)).rejects.toThrow();
  });

  it("should still open a first-format set, as any record of its workspace and provider, until it is re-sealed", async () => {
    const ring = await keyRingFromEnv(env);
    const legacy = await sealLegacy(OLD_KEY, "ws-bound", "Xero", tokens);
    expect(await openTokens(ring, { kind: "connection", ...at, generation: 7 }, legacy)).toEqual(tokens);
    expect(await openTokens(ring, { kind: "rotated", ...at, generation: 7 }, legacy)).toEqual(tokens);
    await expect(
      openTokens(ring, { kind: "connection", ...at, workspaceId: "ws-x", generation: 7 }, legacy),
    ).rejects.toThrow();
  });

  it("should refuse a pending grant's ciphertext, or another grant's, moved into a connection row", async () => {
    const ring = await keyRingFromEnv(env);
    const ws = "ws-moved";
    await storeAccess(db(env.DB), ring, { ...sample(ws), generation: 4 });
    expect((await loadAccess(db(env.DB), ring, ws, "Xero"))?.tokens.accessToken).toBe("access-secret-value");
    const pending = await sealTokens(
      ring,
      { kind: "pending_grant", workspaceId: ws, integration: "Xero", id: "p-1" },
      tokens,
    );
    await env.DB.prepare("UPDATE integration_access SET token_ciphertext = ? WHERE workspace_id = ?")
      .bind(pending.ciphertext, ws)
      .run();
    await expect(loadAccess(db(env.DB), ring, ws, "Xero")).rejects.toThrow();

    // The row's own ciphertext, under another generation (an older grant's set put back): refused too.
    await storeAccess(db(env.DB), ring, { ...sample(ws), generation: 4 });
    await env.DB.prepare("UPDATE integration_access SET generation = 5 WHERE workspace_id = ?").bind(ws).run();
    await expect(loadAccess(db(env.DB), ring, ws, "Xero")).rejects.toThrow();
  });
});
