// Cron dispatch: page through the cache keys due for a refresh and send them to FETCH_QUEUE.
// Due: keys the host app asked for within the retention window whose data is older than the refresh
// age, plus each healthy connection's default key (the last 24 months) when missing or old.
// Pages of 500 rows, so a tick over N keys costs about N / 500 D1 queries and N / 100 sendBatch calls.
import { addMonths, cacheDateKey, toIsoDate } from "../adapters/dates";
import { readNumber } from "../config";
import { findProvider } from "../registry";
import { type FetchMessage, SEND_BATCH_LIMIT, sendFetches } from "./messages";

export const PAGE_SIZE = 500;

export interface DispatchSettings {
  /** Data older than this is refetched (default 50 minutes: every hourly tick). */
  refreshAfterMs: number;
  /** Keys asked for within this window are kept warm (default 30 days). */
  retentionMs: number;
  /** Stop before this many subrequests (D1 queries + sendBatch calls); the rest is still due next tick. */
  subrequestBudget: number;
}

export interface DispatchReport {
  messages: number;
  d1Queries: number;
  sendBatches: number;
  /** True when the budget stopped the pass early. */
  truncated: boolean;
}

export function dispatchSettings(env: Env): DispatchSettings {
  return {
    refreshAfterMs: readNumber(env, "CACHE_REFRESH_AFTER_MS", 50 * 60_000, 1),
    retentionMs: readNumber(env, "CACHE_RETENTION_MS", 30 * 24 * 3600_000, 1),
    subrequestBudget: readNumber(env, "DISPATCH_SUBREQUEST_BUDGET", 900, 10),
  };
}

/** The from_date of a connection's default window: the first day of the month 23 months back (24 months in all). */
export function defaultFromDate(now: number): string {
  return addMonths(toIsoDate(new Date(now)), -23);
}

interface Row {
  cursor: number;
  workspace_id: string;
  integration: string;
  cache_date: number;
}

export async function dispatchDueFetches(env: Env, now: number, settings = dispatchSettings(env)): Promise<DispatchReport> {
  const report: DispatchReport = { messages: 0, d1Queries: 0, sendBatches: 0, truncated: false };
  const staleBefore = now - settings.refreshAfterMs;
  const requestedAfter = now - settings.retentionMs;
  const defaultKey = cacheDateKey(defaultFromDate(now));

  const requested = (cursor: number) =>
    env.DB.prepare(
    `SELECT c.rowid AS cursor, c.workspace_id, c.integration, c.cache_date
       FROM data_cache c
       JOIN integration_access a ON a.workspace_id = c.workspace_id AND a.integration = c.integration AND a.requires_reconnect = 0
      WHERE c.rowid > ?1 AND c.last_requested_at > ?2 AND c.created_at < ?3
      ORDER BY c.rowid LIMIT ${PAGE_SIZE}`,
    ).bind(cursor, requestedAfter, staleBefore);
  // A default key that the host app also asked for is covered by the first query.
  const defaults = (cursor: number) =>
    env.DB.prepare(
    `SELECT a.id AS cursor, a.workspace_id, a.integration, ?4 AS cache_date
       FROM integration_access a
       LEFT JOIN data_cache c ON c.workspace_id = a.workspace_id AND c.integration = a.integration AND c.cache_date = ?4
      WHERE a.id > ?1 AND a.requires_reconnect = 0
        AND (c.cache_date IS NULL OR (c.created_at < ?3 AND c.last_requested_at <= ?2))
      ORDER BY a.id LIMIT ${PAGE_SIZE}`,
    ).bind(cursor, requestedAfter, staleBefore, defaultKey);

  for (const page of [requested, defaults]) {
    let cursor = 0;
    for (;;) {
      // Room for this page's query and its sends.
      if (report.d1Queries + report.sendBatches + 1 + PAGE_SIZE / SEND_BATCH_LIMIT > settings.subrequestBudget) {
        report.truncated = true;
        return report;
      }
      const { results } = await page(cursor).all<Row>();
      report.d1Queries++;
      const messages: FetchMessage[] = results
        .filter((r) => findProvider(r.integration) !== undefined)
        .map((r) => ({ workspaceId: r.workspace_id, integration: r.integration, cacheDate: r.cache_date, trigger: "cron" }));
      report.sendBatches += await sendFetches(env.FETCH_QUEUE, messages);
      report.messages += messages.length;
      if (results.length < PAGE_SIZE) break;
      cursor = results[results.length - 1]!.cursor;
    }
  }
  return report;
}
