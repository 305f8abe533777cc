// The fetch log in D1: one row per ended fetch attempt, its outcome, and housekeeping.
import { eq, inArray, lt, sql } from "drizzle-orm";
import type { CacheKey } from "./cache";
import { type Db, storageOp } from "./db";
import { fetchRuns, type FetchRunRow } from "./schema";
import { insertEvent, type OutboxEvent } from "./webhooks";

export type FetchTrigger = "cron" | "manual" | "on_demand";

export type RunKey = CacheKey & { trigger: FetchTrigger };

/** A fetch attempt as logged once it has ended: one row, written with the attempt's other D1 writes. */
export type FinishedRun = RunKey & {
  startedAt: number;
  finishedAt: number;
  outcome: "success" | "error";
  error: string | null;
};

/** The insert of a finished run, for a caller's batch. */
export function insertRun(d: Db, run: FinishedRun) {
  return d.insert(fetchRuns).values(run);
}

/** Logs an attempt that wrote no data; `event`, if given, is recorded in the same batch. */
export const recordRun = storageOp(
  "record fetch run",
  async (d: Db, run: FinishedRun, event?: OutboxEvent): Promise<void> => {
    if (event) await d.batch([insertRun(d, run), insertEvent(d, event)]);
    else await insertRun(d, run);
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

/** Housekeeping for fetch_runs: deletes runs older than `retentionMs`, at most `limit` per call. */
export const pruneRuns = storageOp(
  "prune fetch runs",
  async (d: Db, now: number, retentionMs: number, limit: number = 5000): Promise<number> => {
    const old = d
      .select({ id: fetchRuns.id })
      .from(fetchRuns)
      .where(lt(fetchRuns.startedAt, now - retentionMs))
      .limit(limit);
    const deleted = await d.delete(fetchRuns).where(inArray(fetchRuns.id, old)).returning({ id: fetchRuns.id });
    return deleted.length;
  },
);
