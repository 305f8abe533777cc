// integration_access rows: one connection per (workspace, integration, tenant). Tokens arrive here
// already sealed (encrypted by the workspace object) and leave sealed; listings never touch them.
// The connections of one grant share its tokens and generation: token writes name the generation, so
// they reach every connection of that grant at once, and a write for an earlier grant changes nothing.
import { and, eq, getTableColumns, inArray, sql } from "drizzle-orm";
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
  /** The provider's id of the company; '' for a provider without tenants. */
  tenantId: string;
  tenantName: string | null;
  requiresReconnect: boolean;
  additionalInfo: Record<string, unknown>;
  /** The provider's connectionConfig values (e.g. a subdomain); empty when it declares none. */
  config: Record<string, string>;
  tokensIssuedAt: number;
  /** When the refresh token stops working however often it is used (Intuit's five years); null when unknown. */
  refreshHardExpiresAt: number | null;
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
export type ConnectionInfo = Omit<IntegrationAccessRow, "tokenCiphertext" | "keyId" | "id" | "expiringNotifiedFor">;

/** A connection to write; `createdAt` is kept on replace, `updatedAt` is now. */
export type ConnectionWrite = Omit<ConnectionRecord, "createdAt" | "updatedAt">;

const ofIntegration = (workspaceId: string, integration: string) =>
  and(eq(integrationAccess.workspaceId, workspaceId), eq(integrationAccess.integration, integration));

const key = (workspaceId: string, integration: string, tenantId: string) =>
  and(ofIntegration(workspaceId, integration), eq(integrationAccess.tenantId, tenantId));

/** Every connection of one grant: they share the generation. */
const ofGrant = (workspaceId: string, integration: string, generation: number) =>
  and(ofIntegration(workspaceId, integration), eq(integrationAccess.generation, generation));

function upsert(d: Db, record: ConnectionWrite, now: number) {
  const { sealed, workspaceId, integration, tenantId, ...fields } = record;
  const values = { ...fields, tokenCiphertext: sealed.ciphertext, keyId: sealed.keyId, updatedAt: now };
  return d
    .insert(integrationAccess)
    .values({ workspaceId, integration, tenantId, createdAt: now, ...values })
    .onConflictDoUpdate({
      target: [integrationAccess.workspaceId, integrationAccess.integration, integrationAccess.tenantId],
      set: values,
    });
}

/**
 * Inserts or replaces the connection for (workspace, integration, tenant): a newly confirmed grant.
 * `event`, if given, is recorded in the same batch.
 */
export const saveConnection = storageOp(
  "save connection",
  async (d: Db, record: ConnectionWrite, now: number = Date.now(), event?: OutboxEvent) => {
    const save = upsert(d, record, now);
    if (event) await d.batch([save, insertEvent(d, event)]);
    else await save;
  },
);

/** Inserts or replaces the connections one consent makes, with their events, in one batch. */
export const saveConnections = storageOp(
  "save connections",
  async (d: Db, records: readonly ConnectionWrite[], now: number, events: readonly OutboxEvent[]) => {
    const [first, ...rest] = [...records.map((r) => upsert(d, r, now)), ...events.map((e) => insertEvent(d, e))];
    if (first) await d.batch([first, ...rest]);
  },
);

/** The token fields a refresh writes. */
export interface TokenUpdate {
  sealed: SealedTokenSet;
  expiresAt: number | null;
  scope: string | null;
  tokensIssuedAt: number;
  lastRefreshAt: number;
  /** As the token endpoint stated it this time; a known one is kept (it is the consent's, see updateTokens). */
  refreshHardExpiresAt: number | null;
}

/**
 * Writes refreshed tokens to every connection of the grant `generation`, clearing their failure
 * state. Returns false (and writes nothing) when no connection holds that grant any more. A hard
 * expiry already known is kept: it belongs to the consent, and each answer restates it in seconds
 * from the provider's clock, so taking every new value would move it by a second now and then.
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
        refreshHardExpiresAt: sql`coalesce(${integrationAccess.refreshHardExpiresAt}, ${update.refreshHardExpiresAt})`,
        lastRefreshAt: update.lastRefreshAt,
        lastRefreshError: null,
        refreshFailures: 0,
        requiresReconnect: false,
        updatedAt: now,
      })
      .where(ofGrant(workspaceId, integration, generation))
      .returning({ generation: integrationAccess.generation });
    return rows.length > 0;
  },
);

function toRecord(row: IntegrationAccessRow): ConnectionRecord {
  const { id: _id, tokenCiphertext, keyId, expiringNotifiedFor: _e, ...rest } = row;
  return { ...rest, sealed: { ciphertext: tokenCiphertext, keyId } };
}

/** One connection with its sealed tokens, or null when the workspace has none for that tenant. */
export const getConnection = storageOp(
  "read connection",
  async (d: Db, workspaceId: string, integration: string, tenantId: string): Promise<ConnectionRecord | null> => {
    const row = await d
      .select()
      .from(integrationAccess)
      .where(key(workspaceId, integration, tenantId))
      .get();
    return row ? toRecord(row) : null;
  },
);

/** Every connection of a workspace to one provider, with sealed tokens, oldest first. */
export const getConnections = storageOp(
  "read connections",
  async (d: Db, workspaceId: string, integration: string): Promise<ConnectionRecord[]> => {
    const rows = await d
      .select()
      .from(integrationAccess)
      .where(ofIntegration(workspaceId, integration))
      .orderBy(integrationAccess.id)
      .all();
    return rows.map(toRecord);
  },
);

/**
 * Records a failed refresh of the grant `generation` on each of its connections, without touching
 * the tokens: the error, one more consecutive failure and, for a grant the provider rejected,
 * `requires_reconnect`. `events` (one per connection, by tenant), if given, are recorded in the same
 * batch for the connections this is what sets `requires_reconnect` on; returns the tenants they were.
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
    events: readonly { tenantId: string; event: OutboxEvent }[] = [],
  ): Promise<string[]> => {
    const update = d
      .update(integrationAccess)
      .set({
        lastRefreshError: error,
        refreshFailures: sql`${integrationAccess.refreshFailures} + 1`,
        ...(requiresReconnect ? { requiresReconnect: true } : {}),
        updatedAt: now,
      })
      .where(ofGrant(workspaceId, integration, generation));
    if (!requiresReconnect || events.length === 0) {
      await update;
      return [];
    }
    // The events first, while the rows still show whether they already required a reconnect.
    const inserts = events.map(({ tenantId, event }) =>
      insertEventIf(
        d,
        event,
        and(
          ofGrant(workspaceId, integration, generation),
          eq(integrationAccess.tenantId, tenantId),
          eq(integrationAccess.requiresReconnect, false),
        ),
      ),
    );
    const [first, ...others] = inserts;
    if (!first) throw new Error("unreachable: events is not empty");
    const results = await d.batch([first, ...others, update]);
    return events
      .filter((_, i) => ((results[i] as readonly unknown[] | undefined)?.length ?? 0) > 0)
      .map((e) => e.tenantId);
  },
);

/** The tenants a workspace has connected of one provider, with their grants' generations; no tokens read. */
export const connectionTenants = storageOp(
  "list connection tenants",
  async (d: Db, workspaceId: string, integration: string): Promise<{ tenantId: string; generation: number }[]> =>
    d
      .select({ tenantId: integrationAccess.tenantId, generation: integrationAccess.generation })
      .from(integrationAccess)
      .where(ofIntegration(workspaceId, integration))
      .orderBy(integrationAccess.id)
      .all(),
);

/** Every connection of a workspace, without tokens. */
export const listConnections = storageOp(
  "list connections",
  async (d: Db, workspaceId: string): Promise<ConnectionInfo[]> => {
    const {
      tokenCiphertext: _c,
      keyId: _k,
      id: _i,
      expiringNotifiedFor: _e,
      ...columns
    } = getTableColumns(integrationAccess);
    return d
      .select(columns)
      .from(integrationAccess)
      .where(eq(integrationAccess.workspaceId, workspaceId))
      .orderBy(integrationAccess.id)
      .all();
  },
);

const connectionStatesQuery = (d: Db) =>
  d
    .select({
      integration: integrationAccess.integration,
      tenantId: integrationAccess.tenantId,
      tenantName: integrationAccess.tenantName,
      requiresReconnect: integrationAccess.requiresReconnect,
      connectedBy: integrationAccess.connectedBy,
      connectedAt: integrationAccess.connectedAt,
    })
    .from(integrationAccess)
    .where(eq(integrationAccess.workspaceId, sql.placeholder("workspaceId")))
    .orderBy(integrationAccess.id)
    .prepare();

/** Built once per handle: GET /integration/providers runs it on every call, and building its SQL showed in that route's profile. */
const connectionStates = new WeakMap<Db, ReturnType<typeof connectionStatesQuery>>();

/** A workspace's connections, whether each waits for a reconnect, and who connected it, oldest first. */
export const listConnectionStates = storageOp("list connection states", async (d: Db, workspaceId: string) => {
  let query = connectionStates.get(d);
  if (!query) connectionStates.set(d, (query = connectionStatesQuery(d)));
  return query.all({ workspaceId });
});

/**
 * Deletes a connection and its cache index rows (the workspace's object drops the payloads
 * themselves first). Returns whether a connection existed. `event`, if given, is recorded in the same
 * batch when there was a connection to delete.
 */
export const deleteConnection = storageOp(
  "delete connection",
  async (d: Db, workspaceId: string, integration: string, tenantId: string, event?: OutboxEvent): Promise<boolean> => {
    const connection = key(workspaceId, integration, tenantId);
    const deletes = [
      d.delete(integrationAccess).where(connection).returning({ id: integrationAccess.id }),
      d
        .delete(dataCache)
        .where(
          and(
            eq(dataCache.workspaceId, workspaceId),
            eq(dataCache.integration, integration),
            eq(dataCache.tenantId, tenantId),
          ),
        ),
    ] as const;
    if (!event) return (await d.batch(deletes))[0].length > 0;
    const [, deleted] = await d.batch([insertEventIf(d, event, connection), ...deletes]);
    return deleted.length > 0;
  },
);

/**
 * Every connection, in any workspace, to one of `tenantIds` of `integration`: the connections a
 * provider's webhook events are for. One query over the (integration, tenant_id) index, never a scan.
 */
export const connectionsHoldingTenants = storageOp(
  "find connections by tenant",
  async (
    d: Db,
    integration: string,
    tenantIds: readonly string[],
  ): Promise<{ workspaceId: string; tenantId: string }[]> => {
    const found: { workspaceId: string; tenantId: string }[] = [];
    // D1 binds at most 100 parameters per query.
    for (let i = 0; i < tenantIds.length; i += 90) {
      const chunk = tenantIds.slice(i, i + 90);
      found.push(
        ...(await d
          .select({ workspaceId: integrationAccess.workspaceId, tenantId: integrationAccess.tenantId })
          .from(integrationAccess)
          .where(and(eq(integrationAccess.integration, integration), inArray(integrationAccess.tenantId, chunk)))
          .all()),
      );
    }
    return found;
  },
);
