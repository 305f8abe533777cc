// Storage of IntegrationAccess rows: token sets are encrypted before they reach D1 and decrypted
// only here. Listings read metadata without decrypting anything.
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { KeyRing } from "../lib/crypto";
import { dataCache, integrationAccess, type IntegrationAccessRow } from "./schema";

export function db(d1: D1Database) {
  return drizzle(d1);
}
export type Db = ReturnType<typeof db>;

/** The secret part of a connection; only ever stored encrypted. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string | null;
}

/** A connection with its tokens decrypted (the seed's IntegrationAccess). */
export interface IntegrationAccess {
  workspaceId: string;
  integration: string;
  tokens: TokenSet;
  expiresAt: number | null;
  scope: string | null;
  tenantId: string | null;
  requiresReconnect: boolean;
  additionalInfo: Record<string, unknown>;
  tokensIssuedAt: number;
  lastRefreshAt: number | null;
  lastRefreshError: string | null;
  refreshFailures: number;
  createdAt: number;
  updatedAt: number;
}

/** What a caller may see of a connection: everything but the tokens. */
export type ConnectionInfo = Omit<IntegrationAccessRow, "tokenCiphertext" | "keyId" | "id">;

/** Additional data for AES-GCM: a ciphertext only decrypts in the row it was written for. */
const aad = (workspaceId: string, integration: string) => `integration_access\u0000${workspaceId}\u0000${integration}`;

/** A connection to write: the lifecycle fields default to those of a fresh grant. */
export type NewAccess = Omit<IntegrationAccess, "createdAt" | "updatedAt" | "requiresReconnect" | "tokensIssuedAt" | "lastRefreshAt" | "lastRefreshError" | "refreshFailures"> &
  Partial<Pick<IntegrationAccess, "requiresReconnect" | "tokensIssuedAt" | "lastRefreshAt" | "lastRefreshError" | "refreshFailures">>;

/**
 * Inserts or replaces the connection for (workspace, integration), encrypting its tokens under the
 * ring's current key. Replacing keeps `created_at`; `requires_reconnect`, the refresh error and the
 * failure count are cleared unless given.
 */
export async function saveAccess(d: Db, ring: KeyRing, access: NewAccess, now = Date.now()): Promise<void> {
  const sealed = await ring.encrypt(JSON.stringify(access.tokens), aad(access.workspaceId, access.integration));
  const values = {
    tokenCiphertext: sealed.ciphertext,
    keyId: sealed.keyId,
    expiresAt: access.expiresAt,
    scope: access.scope,
    tenantId: access.tenantId,
    requiresReconnect: access.requiresReconnect ?? false,
    additionalInfo: access.additionalInfo,
    tokensIssuedAt: access.tokensIssuedAt ?? now,
    lastRefreshAt: access.lastRefreshAt ?? null,
    lastRefreshError: access.lastRefreshError ?? null,
    refreshFailures: access.refreshFailures ?? 0,
    updatedAt: now,
  };
  await d
    .insert(integrationAccess)
    .values({ workspaceId: access.workspaceId, integration: access.integration, createdAt: now, ...values })
    .onConflictDoUpdate({ target: [integrationAccess.workspaceId, integrationAccess.integration], set: values });
}

/** Reads and decrypts one connection, or null when the workspace has none for that provider. */
export async function getAccess(d: Db, ring: KeyRing, workspaceId: string, integration: string): Promise<IntegrationAccess | null> {
  const row = await d
    .select()
    .from(integrationAccess)
    .where(and(eq(integrationAccess.workspaceId, workspaceId), eq(integrationAccess.integration, integration)))
    .get();
  if (!row) return null;
  const tokens = JSON.parse(await ring.decrypt(row.tokenCiphertext, row.keyId, aad(workspaceId, integration))) as TokenSet;
  return {
    workspaceId,
    integration,
    tokens,
    expiresAt: row.expiresAt,
    scope: row.scope,
    tenantId: row.tenantId,
    requiresReconnect: row.requiresReconnect,
    additionalInfo: row.additionalInfo,
    tokensIssuedAt: row.tokensIssuedAt,
    lastRefreshAt: row.lastRefreshAt,
    lastRefreshError: row.lastRefreshError,
    refreshFailures: row.refreshFailures,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * Records a failed refresh without touching the tokens: the error, one more consecutive failure and,
 * for a grant the provider rejected, `requires_reconnect`.
 */
export async function recordRefreshFailure(d: Db, workspaceId: string, integration: string, error: string, requiresReconnect: boolean, now = Date.now()): Promise<void> {
  await d
    .update(integrationAccess)
    .set({
      lastRefreshError: error,
      refreshFailures: sql`${integrationAccess.refreshFailures} + 1`,
      ...(requiresReconnect ? { requiresReconnect: true } : {}),
      updatedAt: now,
    })
    .where(and(eq(integrationAccess.workspaceId, workspaceId), eq(integrationAccess.integration, integration)));
}

/** Every connection of a workspace, without tokens. */
export async function listConnections(d: Db, workspaceId: string): Promise<ConnectionInfo[]> {
  const { tokenCiphertext: _c, keyId: _k, id: _i, ...columns } = getTableColumns(integrationAccess);
  return d.select(columns).from(integrationAccess).where(eq(integrationAccess.workspaceId, workspaceId)).all();
}

/** Deletes a connection and the provider's cached data for the workspace. Returns whether a connection existed. */
export async function deleteAccess(d: Db, workspaceId: string, integration: string): Promise<boolean> {
  const [deleted] = await d.batch([
    d
      .delete(integrationAccess)
      .where(and(eq(integrationAccess.workspaceId, workspaceId), eq(integrationAccess.integration, integration)))
      .returning({ id: integrationAccess.id }),
    d.delete(dataCache).where(and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration))),
  ]);
  return deleted.length > 0;
}
