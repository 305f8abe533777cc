// The data cache and the fetch log in D1. A payload is only ever written after a successful fetch,
// so a failing provider never replaces good data.
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { DataBatch, EmployeeRow } from "../adapters/batch";
import type { Db } from "./access";
import { dataCache, fetchRuns, type FetchRunRow } from "./schema";

/** A normalized payload: accounting → DataBatch, payroll → employee rows. */
export type DataPayload = { apiType: "accounting"; batch: DataBatch } | { apiType: "payroll"; employees: EmployeeRow[] };

export interface CachedData {
  payload: DataPayload;
  fetchedAt: number;
  lastRequestedAt: number;
}

export type FetchTrigger = "cron" | "manual" | "on_demand";

const keyOf = (workspaceId: string, integration: string, cacheDate: number) =>
  and(eq(dataCache.workspaceId, workspaceId), eq(dataCache.integration, integration), eq(dataCache.cacheDate, cacheDate));

export async function getCached(d: Db, workspaceId: string, integration: string, cacheDate: number): Promise<CachedData | null> {
  const row = await d.select().from(dataCache).where(keyOf(workspaceId, integration, cacheDate)).get();
  return row ? { payload: JSON.parse(row.payload) as DataPayload, fetchedAt: row.createdAt, lastRequestedAt: row.lastRequestedAt } : null;
}

/** Stores a fresh payload; `requested` also marks the key as asked for now (on-demand fetches). */
export async function putCached(d: Db, workspaceId: string, integration: string, cacheDate: number, payload: DataPayload, now: number, requested: boolean): Promise<void> {
  const values = { payload: JSON.stringify(payload), createdAt: now, ...(requested ? { lastRequestedAt: now } : {}) };
  await d
    .insert(dataCache)
    .values({ workspaceId, integration, cacheDate, lastRequestedAt: requested ? now : 0, ...values })
    .onConflictDoUpdate({ target: [dataCache.workspaceId, dataCache.integration, dataCache.cacheDate], set: values });
}

/** Records that the host app asked for a key; written at most once per `granularityMs` per key. */
export async function touchRequested(d: Db, workspaceId: string, integration: string, cacheDate: number, now: number, granularityMs = 3600_000): Promise<void> {
  await d
    .update(dataCache)
    .set({ lastRequestedAt: now })
    .where(and(keyOf(workspaceId, integration, cacheDate), sql`${dataCache.lastRequestedAt} < ${now - granularityMs}`));
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

export async function startRun(d: Db, run: { workspaceId: string; integration: string; cacheDate: number; trigger: FetchTrigger }, now: number): Promise<number> {
  const row = await d
    .insert(fetchRuns)
    .values({ ...run, startedAt: now, outcome: "running" })
    .returning({ id: fetchRuns.id })
    .get();
  return row.id;
}

export async function finishRun(d: Db, id: number, outcome: "success" | "error" | "dead_letter", error: string | null, now: number): Promise<void> {
  await d.update(fetchRuns).set({ outcome, error, finishedAt: now }).where(eq(fetchRuns.id, id));
}

/** A dead letter: the queue gave up on a key; recorded as its own run so it shows in the status. */
export async function recordDeadLetter(d: Db, run: { workspaceId: string; integration: string; cacheDate: number; trigger: FetchTrigger }, error: string, now: number): Promise<void> {
  await d.insert(fetchRuns).values({ ...run, startedAt: now, finishedAt: now, outcome: "dead_letter", error });
}

/** The latest run of each of a workspace's integrations (ids grow with start time). */
export async function latestRuns(d: Db, workspaceId: string): Promise<Map<string, FetchRunRow>> {
  const latestIds = d
    .select({ id: sql<number>`max(${fetchRuns.id})` })
    .from(fetchRuns)
    .where(eq(fetchRuns.workspaceId, workspaceId))
    .groupBy(fetchRuns.integration);
  const rows = await d.select().from(fetchRuns).where(inArray(fetchRuns.id, latestIds)).all();
  return new Map(rows.map((row) => [row.integration, row]));
}

export interface PruneReport {
  deleted: number;
  abandoned: number;
}

/**
 * Housekeeping for fetch_runs: deletes runs older than `retentionMs` (at most `limit` per call) and
 * marks runs still "running" after `abandonAfterMs` as errors (their object died mid-fetch).
 */
export async function pruneRuns(d: Db, now: number, retentionMs: number, abandonAfterMs = 3600_000, limit = 5000): Promise<PruneReport> {
  const old = d.select({ id: fetchRuns.id }).from(fetchRuns).where(lt(fetchRuns.startedAt, now - retentionMs)).limit(limit);
  const [deleted, abandoned] = await d.batch([
    d.delete(fetchRuns).where(inArray(fetchRuns.id, old)).returning({ id: fetchRuns.id }),
    d
      .update(fetchRuns)
      .set({ outcome: "error", error: "abandoned: the fetch never finished (its workspace object restarted)", finishedAt: now })
      .where(and(eq(fetchRuns.outcome, "running"), lt(fetchRuns.startedAt, now - abandonAfterMs)))
      .returning({ id: fetchRuns.id }),
  ]);
  return { deleted: deleted.length, abandoned: abandoned.length };
}
