// The fetch log in D1: one row per fetch attempt, its outcome, and housekeeping.
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { CacheKey } from "./cache";
import { type Db, storageOp } from "./db";
import { fetchRuns, type FetchRunRow } from "./schema";
import { insertEvent, type OutboxEvent } from "./webhooks";

export type FetchTrigger = "cron" | "manual" | "on_demand";

export type RunKey = CacheKey & { trigger: FetchTrigger };

export const startRun = storageOp("start fetch run", async (d: Db, run: RunKey, now: number): Promise<number> => {
  const row = await d
    .insert(fetchRuns)
    .values({ ...run, startedAt: now, outcome: "running" })
    .returning({ id: fetchRuns.id })
    .get();
  return row.id;
});

/** Records how a run ended; `event`, if given, is recorded in the same batch. */
export const finishRun = storageOp(
  "finish fetch run",
  async (
    d: Db,
    id: number,
    outcome: "success" | "error",
    error: string | null,
    now: number,
    event?: OutboxEvent,
  ): Promise<void> => {
    const finish = d.update(fetchRuns).set({ outcome, error, finishedAt: now }).where(eq(fetchRuns.id, id));
    if (event) await d.batch([finish, insertEvent(d, event)]);
    else await finish;
  },
);

/** A dead letter: the queue gave up on a key; recorded as its own run so it shows in the status. */
export const recordDeadLetter = storageOp(
  "record dead letter",
  async (d: Db, run: RunKey, error: string, now: number): Promise<void> => {
    await d.insert(fetchRuns).values({ ...run, startedAt: now, finishedAt: now, outcome: "dead_letter", error });
  },
);

/** The latest run of each of a workspace's integrations (ids grow with start time). */
export const latestRuns = storageOp(
  "read latest runs",
  async (d: Db, workspaceId: string): Promise<Map<string, FetchRunRow>> => {
    const latestIds = d
      .select({ id: sql<number>`max(${fetchRuns.id})` })
      .from(fetchRuns)
      .where(eq(fetchRuns.workspaceId, workspaceId))
      .groupBy(fetchRuns.integration);
    const rows = await d.select().from(fetchRuns).where(inArray(fetchRuns.id, latestIds)).all();
    return new Map(rows.map((row) => [row.integration, row]));
  },
);

export interface PruneReport {
  deleted: number;
  abandoned: number;
}

/**
 * Housekeeping for fetch_runs: deletes runs older than `retentionMs` (at most `limit` per call) and
 * marks runs still "running" after `abandonAfterMs` as errors (their object died mid-fetch).
 */
export const pruneRuns = storageOp(
  "prune fetch runs",
  async (
    d: Db,
    now: number,
    retentionMs: number,
    abandonAfterMs: number = 3600_000,
    limit: number = 5000,
  ): Promise<PruneReport> => {
    const old = d
      .select({ id: fetchRuns.id })
      .from(fetchRuns)
      .where(lt(fetchRuns.startedAt, now - retentionMs))
      .limit(limit);
    const [deleted, abandoned] = await d.batch([
      d.delete(fetchRuns).where(inArray(fetchRuns.id, old)).returning({ id: fetchRuns.id }),
      d
        .update(fetchRuns)
        .set({
          outcome: "error",
          error: "abandoned: the fetch never finished (its workspace object restarted)",
          finishedAt: now,
        })
        .where(and(eq(fetchRuns.outcome, "running"), lt(fetchRuns.startedAt, now - abandonAfterMs)))
        .returning({ id: fetchRuns.id }),
    ]);
    return { deleted: deleted.length, abandoned: abandoned.length };
  },
);
