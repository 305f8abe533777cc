// The data cache in D1: one normalized payload per (workspace, integration, seed cache date). A
// payload is only ever written after a successful fetch, so a failing provider never replaces good data.
import { and, desc, eq, gt, notInArray, sql } from "drizzle-orm";
import { type Db, storageOp } from "./db";
import { dataCache } from "./schema";
import { insertEvent, type OutboxEvent } from "./webhooks";

/** A cached payload (stored as JSON; the caller names its type) and when it was fetched and asked for. */
export interface CachedData<P> {
  payload: P;
  fetchedAt: number;
  lastRequestedAt: number;
}

export interface CacheKey {
  workspaceId: string;
  integration: string;
  /** The seed's cache key (epoch seconds). */
  cacheDate: number;
}

const where = ({ workspaceId, integration, cacheDate }: CacheKey) =>
  and(
    eq(dataCache.workspaceId, workspaceId),
    eq(dataCache.integration, integration),
    eq(dataCache.cacheDate, cacheDate),
  );

const readCached = storageOp("read cached data", (d: Db, key: CacheKey) =>
  d.select().from(dataCache).where(where(key)).get(),
);

export async function getCached<P>(d: Db, key: CacheKey): Promise<CachedData<P> | null> {
  const row = await readCached(d, key);
  return row
    ? { payload: JSON.parse(row.payload) as P, fetchedAt: row.createdAt, lastRequestedAt: row.lastRequestedAt }
    : null;
}

/**
 * Stores a fresh payload; `requested` also marks the key as asked for now (on-demand fetches).
 * `event`, if given, is recorded in the same batch.
 */
export const putCached = storageOp(
  "write cached data",
  async (
    d: Db,
    key: CacheKey,
    payload: unknown,
    now: number,
    requested: boolean,
    event?: OutboxEvent,
  ): Promise<void> => {
    const values = { payload: JSON.stringify(payload), createdAt: now, ...(requested ? { lastRequestedAt: now } : {}) };
    const put = d
      .insert(dataCache)
      .values({ ...key, lastRequestedAt: requested ? now : 0, ...values })
      .onConflictDoUpdate({ target: [dataCache.workspaceId, dataCache.integration, dataCache.cacheDate], set: values });
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
  async (d: Db, workspaceId: string, integration: string, max: number): Promise<number> => {
    const connection = and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration));
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
export const cachedKeys = storageOp(
  "list cached keys",
  async (d: Db, workspaceId: string, integration: string): Promise<number[]> => {
    const rows = await d
      .select({ cacheDate: dataCache.cacheDate })
      .from(dataCache)
      .where(and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration)))
      .all();
    return rows.map((r) => r.cacheDate);
  },
);

/** Drops a connection's cached data (its tenant changed). */
export const deleteCachedData = storageOp(
  "delete cached data",
  async (d: Db, workspaceId: string, integration: string) => {
    await d
      .delete(dataCache)
      .where(and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration)));
  },
);
