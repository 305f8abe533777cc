// The data cache's index in D1: one row per (connection, cache date) with when it
// was fetched and asked for and its size, which is all the cron needs. Payloads live in the
// workspace's Durable Object storage; rows from before that move still carry theirs until read.
import { and, desc, eq, gt, isNotNull, notInArray, sql } from "drizzle-orm";
import { type Db, storageOp } from "./db";
import { dataCache } from "./schema";
import { insertEvent, type OutboxEvent } from "./webhooks";

/** A connection: (workspace, provider, tenant); tenant '' for a provider without tenants. */
export interface ConnectionKey {
  workspaceId: string;
  integration: string;
  tenantId: string;
}

export interface CacheKey extends ConnectionKey {
  /** The 12-month batch rule's cache key (epoch seconds). */
  cacheDate: number;
}

const ofConnection = ({ workspaceId, integration, tenantId }: ConnectionKey) =>
  and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration), eq(dataCache.tenantId, tenantId));

const where = (key: CacheKey) => and(ofConnection(key), eq(dataCache.cacheDate, key.cacheDate));

/** A payload still held in D1 (written before payloads moved to the workspace's object), or null. */
export const getLegacyPayload = storageOp(
  "read legacy cached payload",
  async (d: Db, key: CacheKey): Promise<{ payload: string; fetchedAt: number } | null> => {
    const row = await d
      .select({ payload: dataCache.payload, fetchedAt: dataCache.createdAt })
      .from(dataCache)
      .where(and(where(key), isNotNull(dataCache.payload)))
      .get();
    return row?.payload ? { payload: row.payload, fetchedAt: row.fetchedAt } : null;
  },
);

/** Drops a legacy payload from D1 once the workspace's object holds it, recording its size. */
export const clearLegacyPayload = storageOp(
  "clear legacy cached payload",
  async (d: Db, key: CacheKey, size: number): Promise<void> => {
    await d
      .update(dataCache)
      .set({ payload: null, size })
      .where(and(where(key), isNotNull(dataCache.payload)));
  },
);

/**
 * Indexes a fresh payload the workspace's object already holds, with its size and data format
 * (clearing any legacy payload);
 * `requested` also marks the key as asked for now (on-demand fetches). `event`, if given, is
 * recorded in the same batch.
 */
export const putCacheIndex = storageOp(
  "write cached data index",
  async (
    d: Db,
    key: CacheKey,
    entry: { size: number; formatVersion: number },
    now: number,
    requested: boolean,
    event?: OutboxEvent,
  ): Promise<void> => {
    const values = { payload: null, ...entry, createdAt: now, ...(requested ? { lastRequestedAt: now } : {}) };
    const put = d
      .insert(dataCache)
      .values({ ...key, lastRequestedAt: requested ? now : 0, ...values })
      .onConflictDoUpdate({
        target: [dataCache.workspaceId, dataCache.integration, dataCache.tenantId, dataCache.cacheDate],
        set: values,
      });
    if (event) await d.batch([put, insertEvent(d, event)]);
    else await put;
  },
);

/**
 * Records that the host app asked for a key; written at most once per `granularityMs` per key.
 * Returns whether it wrote (the key joined, or stayed in, the set the cron keeps warm).
 */
export const touchRequested = storageOp(
  "mark cached data requested",
  async (d: Db, key: CacheKey, now: number, granularityMs: number = 3600_000): Promise<boolean> => {
    const rows = await d
      .update(dataCache)
      .set({ lastRequestedAt: now })
      .where(and(where(key), sql`${dataCache.lastRequestedAt} < ${now - granularityMs}`))
      .returning({ cacheDate: dataCache.cacheDate });
    return rows.length > 0;
  },
);

/**
 * Keeps at most `max` keys of a connection in the set the cron keeps warm: older ones keep their
 * data but are no longer refreshed (last_requested_at = 0) until asked for again.
 */
export const capRequestedKeys = storageOp(
  "cap warm keys",
  async (d: Db, key: ConnectionKey, max: number): Promise<number> => {
    const connection = ofConnection(key);
    const keep = d
      .select({ cacheDate: dataCache.cacheDate })
      .from(dataCache)
      .where(and(connection, gt(dataCache.lastRequestedAt, 0)))
      .orderBy(desc(dataCache.lastRequestedAt), desc(dataCache.cacheDate))
      .limit(max);
    const dropped = await d
      .update(dataCache)
      .set({ lastRequestedAt: 0 })
      .where(and(connection, gt(dataCache.lastRequestedAt, 0), notInArray(dataCache.cacheDate, keep)))
      .returning({ cacheDate: dataCache.cacheDate });
    return dropped.length;
  },
);

/** Every cached key of a connection. */
export const cachedKeys = storageOp("list cached keys", async (d: Db, key: ConnectionKey): Promise<number[]> => {
  const rows = await d.select({ cacheDate: dataCache.cacheDate }).from(dataCache).where(ofConnection(key)).all();
  return rows.map((r) => r.cacheDate);
});
