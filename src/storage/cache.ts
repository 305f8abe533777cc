// The data cache in D1: one normalized payload per (workspace, integration, seed cache date). A
// payload is only ever written after a successful fetch, so a failing provider never replaces good data.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./db";
import { dataCache } from "./schema";

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

export async function getCached<P>(d: Db, key: CacheKey): Promise<CachedData<P> | null> {
  const row = await d.select().from(dataCache).where(where(key)).get();
  return row
    ? { payload: JSON.parse(row.payload) as P, fetchedAt: row.createdAt, lastRequestedAt: row.lastRequestedAt }
    : null;
}

/** Stores a fresh payload; `requested` also marks the key as asked for now (on-demand fetches). */
export async function putCached(
  d: Db,
  key: CacheKey,
  payload: unknown,
  now: number,
  requested: boolean,
): Promise<void> {
  const values = { payload: JSON.stringify(payload), createdAt: now, ...(requested ? { lastRequestedAt: now } : {}) };
  await d
    .insert(dataCache)
    .values({ ...key, lastRequestedAt: requested ? now : 0, ...values })
    .onConflictDoUpdate({ target: [dataCache.workspaceId, dataCache.integration, dataCache.cacheDate], set: values });
}

/** Records that the host app asked for a key; written at most once per `granularityMs` per key. */
export async function touchRequested(d: Db, key: CacheKey, now: number, granularityMs = 3600_000): Promise<void> {
  await d
    .update(dataCache)
    .set({ lastRequestedAt: now })
    .where(and(where(key), sql`${dataCache.lastRequestedAt} < ${now - granularityMs}`));
}

/** Every cached key of a connection. */
export async function cachedKeys(d: Db, workspaceId: string, integration: string): Promise<number[]> {
  const rows = await d
    .select({ cacheDate: dataCache.cacheDate })
    .from(dataCache)
    .where(and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration)))
    .all();
  return rows.map((r) => r.cacheDate);
}
