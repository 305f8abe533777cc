// integration_access rows: one OAuth connection per (workspace, integration). Tokens arrive here
// already sealed (encrypted by the workspace object) and leave sealed; listings never touch them.
// Writes of an existing connection name its generation, so a write for an earlier grant changes nothing.
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { type Db, storageOp } from "./db";
import { dataCache, integrationAccess, type IntegrationAccessRow } from "./schema";
import { insertEvent, insertEventIf, type OutboxEvent } from "./webhooks";

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
  /** The provider's connectionConfig values (e.g. a subdomain); empty when it declares none. */
  config: Record<string, string>;
  tokensIssuedAt: number;
  lastRefreshAt: number | null;
  lastRefreshError: string | null;
  refreshFailures: number;
  generation: number;
  connectedBy: string | null;
  connectedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What a caller may see of a connection: everything but the tokens. */
export type ConnectionInfo = Omit<IntegrationAccessRow, "tokenCiphertext" | "keyId" | "id">;

/** A connection to write; `createdAt` is kept on replace, `updatedAt` is now. */
export type ConnectionWrite = Omit<ConnectionRecord, "createdAt" | "updatedAt">;

const key = (workspaceId: string, integration: string) =>
  and(eq(integrationAccess.workspaceId, workspaceId), eq(integrationAccess.integration, integration));

const keyAt = (workspaceId: string, integration: string, generation: number) =>
  and(key(workspaceId, integration), eq(integrationAccess.generation, generation));

/**
 * Inserts or replaces the connection for (workspace, integration): a newly confirmed grant. `event`,
 * if given, is recorded in the same batch.
 */
export const saveConnection = storageOp(
  "save connection",
  async (d: Db, record: ConnectionWrite, now: number = Date.now(), event?: OutboxEvent) => {
    const { sealed, workspaceId, integration, ...fields } = record;
    const values = { ...fields, tokenCiphertext: sealed.ciphertext, keyId: sealed.keyId, updatedAt: now };
    const save = d
      .insert(integrationAccess)
      .values({ workspaceId, integration, createdAt: now, ...values })
      .onConflictDoUpdate({ target: [integrationAccess.workspaceId, integrationAccess.integration], set: values });
    if (event) await d.batch([save, insertEvent(d, event)]);
    else await save;
  },
);

/** The token fields a refresh writes. */
export interface TokenUpdate {
  sealed: SealedTokenSet;
  expiresAt: number | null;
  scope: string | null;
  tokensIssuedAt: number;
  lastRefreshAt: number;
}

/**
 * Writes refreshed tokens, clearing the failure state, if the connection still holds `generation`.
 * Returns false (and writes nothing) when it was replaced or disconnected meanwhile.
 */
export const updateTokens = storageOp(
  "update tokens",
  async (
    d: Db,
    workspaceId: string,
    integration: string,
    generation: number,
    update: TokenUpdate,
    now: number = Date.now(),
  ) => {
    const rows = await d
      .update(integrationAccess)
      .set({
        tokenCiphertext: update.sealed.ciphertext,
        keyId: update.sealed.keyId,
        expiresAt: update.expiresAt,
        scope: update.scope,
        tokensIssuedAt: update.tokensIssuedAt,
        lastRefreshAt: update.lastRefreshAt,
        lastRefreshError: null,
        refreshFailures: 0,
        requiresReconnect: false,
        updatedAt: now,
      })
      .where(keyAt(workspaceId, integration, generation))
      .returning({ generation: integrationAccess.generation });
    return rows.length > 0;
  },
);

/** One connection with its sealed tokens, or null when the workspace has none for that provider. */
export const getConnection = storageOp(
  "read connection",
  async (d: Db, workspaceId: string, integration: string): Promise<ConnectionRecord | null> => {
    const row = await d.select().from(integrationAccess).where(key(workspaceId, integration)).get();
    if (!row) return null;
    const { id: _id, tokenCiphertext, keyId, ...rest } = row;
    return { ...rest, sealed: { ciphertext: tokenCiphertext, keyId } };
  },
);

/**
 * Records a failed refresh of `generation` without touching the tokens: the error, one more
 * consecutive failure and, for a grant the provider rejected, `requires_reconnect`. `event`, if
 * given, is recorded in the same batch when this is what sets `requires_reconnect`; returns whether it was.
 */
export const recordRefreshFailure = storageOp(
  "record refresh failure",
  async (
    d: Db,
    workspaceId: string,
    integration: string,
    generation: number,
    error: string,
    requiresReconnect: boolean,
    now: number = Date.now(),
    event?: OutboxEvent,
  ) => {
    const update = d
      .update(integrationAccess)
      .set({
        lastRefreshError: error,
        refreshFailures: sql`${integrationAccess.refreshFailures} + 1`,
        ...(requiresReconnect ? { requiresReconnect: true } : {}),
        updatedAt: now,
      })
      .where(keyAt(workspaceId, integration, generation));
    if (!requiresReconnect || !event) {
      await update;
      return false;
    }
    // The event first, while the row still shows whether it already required a reconnect.
    const stillHealthy = and(
      keyAt(workspaceId, integration, generation),
      eq(integrationAccess.requiresReconnect, false),
    );
    const [inserted] = await d.batch([insertEventIf(d, event, stillHealthy), update]);
    return inserted.length > 0;
  },
);

/** Every connection of a workspace, without tokens. */
export const listConnections = storageOp(
  "list connections",
  async (d: Db, workspaceId: string): Promise<ConnectionInfo[]> => {
    const { tokenCiphertext: _c, keyId: _k, id: _i, ...columns } = getTableColumns(integrationAccess);
    return d.select(columns).from(integrationAccess).where(eq(integrationAccess.workspaceId, workspaceId)).all();
  },
);

/** Which providers a workspace is connected to, whether each waits for a reconnect, and who connected it. */
export const listConnectionStates = storageOp("list connection states", async (d: Db, workspaceId: string) =>
  d
    .select({
      integration: integrationAccess.integration,
      requiresReconnect: integrationAccess.requiresReconnect,
      connectedBy: integrationAccess.connectedBy,
      connectedAt: integrationAccess.connectedAt,
    })
    .from(integrationAccess)
    .where(eq(integrationAccess.workspaceId, workspaceId))
    .all(),
);

/**
 * Deletes a connection and the provider's cache index rows for the workspace (the workspace's object
 * drops the payloads themselves first). Returns whether a connection
 * existed. `event`, if given, is recorded in the same batch when there was a connection to delete.
 */
export const deleteConnection = storageOp(
  "delete connection",
  async (d: Db, workspaceId: string, integration: string, event?: OutboxEvent): Promise<boolean> => {
    const deletes = [
      d.delete(integrationAccess).where(key(workspaceId, integration)).returning({ id: integrationAccess.id }),
      d.delete(dataCache).where(and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration))),
    ] as const;
    if (!event) return (await d.batch(deletes))[0].length > 0;
    const [, deleted] = await d.batch([insertEventIf(d, event, key(workspaceId, integration)), ...deletes]);
    return deleted.length > 0;
  },
);
