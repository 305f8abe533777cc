// integration_access rows: one OAuth connection per (workspace, integration). Tokens arrive here
// already sealed (encrypted by the workspace object) and leave sealed; listings never touch them.
import { and, asc, eq, getTableColumns, lt, sql } from "drizzle-orm";
import type { Db } from "./db";
import { dataCache, integrationAccess, type IntegrationAccessRow } from "./schema";

/** A token set as stored: ciphertext plus the id of the key that made it. */
export interface SealedTokenSet {
  ciphertext: string;
  keyId: string;
}

/** A connection as stored, with its tokens still sealed. */
export interface ConnectionRecord {
  workspaceId: string;
  integration: string;
  sealed: SealedTokenSet;
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

/** A connection to write; `createdAt` is kept on replace, `updatedAt` is now. */
export type ConnectionWrite = Omit<ConnectionRecord, "createdAt" | "updatedAt">;

/** Inserts or replaces the connection for (workspace, integration). Replacing keeps `created_at`. */
export async function saveConnection(d: Db, record: ConnectionWrite, now = Date.now()): Promise<void> {
  const values = {
    tokenCiphertext: record.sealed.ciphertext,
    keyId: record.sealed.keyId,
    expiresAt: record.expiresAt,
    scope: record.scope,
    tenantId: record.tenantId,
    requiresReconnect: record.requiresReconnect,
    additionalInfo: record.additionalInfo,
    tokensIssuedAt: record.tokensIssuedAt,
    lastRefreshAt: record.lastRefreshAt,
    lastRefreshError: record.lastRefreshError,
    refreshFailures: record.refreshFailures,
    updatedAt: now,
  };
  await d
    .insert(integrationAccess)
    .values({ workspaceId: record.workspaceId, integration: record.integration, createdAt: now, ...values })
    .onConflictDoUpdate({ target: [integrationAccess.workspaceId, integrationAccess.integration], set: values });
}

/** One connection with its sealed tokens, or null when the workspace has none for that provider. */
export async function getConnection(d: Db, workspaceId: string, integration: string): Promise<ConnectionRecord | null> {
  const row = await d
    .select()
    .from(integrationAccess)
    .where(and(eq(integrationAccess.workspaceId, workspaceId), eq(integrationAccess.integration, integration)))
    .get();
  if (!row) return null;
  const { id: _id, tokenCiphertext, keyId, ...rest } = row;
  return { ...rest, sealed: { ciphertext: tokenCiphertext, keyId } };
}

/**
 * Records a failed refresh without touching the tokens: the error, one more consecutive failure and,
 * for a grant the provider rejected, `requires_reconnect`.
 */
export async function recordRefreshFailure(
  d: Db,
  workspaceId: string,
  integration: string,
  error: string,
  requiresReconnect: boolean,
  now = Date.now(),
): Promise<void> {
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
export async function deleteConnection(d: Db, workspaceId: string, integration: string): Promise<boolean> {
  const [deleted] = await d.batch([
    d
      .delete(integrationAccess)
      .where(and(eq(integrationAccess.workspaceId, workspaceId), eq(integrationAccess.integration, integration)))
      .returning({ id: integrationAccess.id }),
    d.delete(dataCache).where(and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration))),
  ]);
  return deleted.length > 0;
}

/** Healthy connections of `integration` whose tokens were issued before `issuedBefore`, oldest first. */
export async function idleConnections(
  d: Db,
  integration: string,
  issuedBefore: number,
  limit: number,
): Promise<{ workspaceId: string; integration: string }[]> {
  return d
    .select({ workspaceId: integrationAccess.workspaceId, integration: integrationAccess.integration })
    .from(integrationAccess)
    .where(
      and(
        eq(integrationAccess.integration, integration),
        eq(integrationAccess.requiresReconnect, false),
        lt(integrationAccess.tokensIssuedAt, issuedBefore),
      ),
    )
    .orderBy(asc(integrationAccess.tokensIssuedAt))
    .limit(limit)
    .all();
}

/** Which providers a workspace is connected to, and whether each waits for a reconnect. */
export async function listConnectionStates(
  d: Db,
  workspaceId: string,
): Promise<{ integration: string; requiresReconnect: boolean }[]> {
  return d
    .select({ integration: integrationAccess.integration, requiresReconnect: integrationAccess.requiresReconnect })
    .from(integrationAccess)
    .where(eq(integrationAccess.workspaceId, workspaceId))
    .all();
}
