// The cron's reads: pages of cache keys due for a refresh, walked by a cursor so each page is one
// indexed query however large the tables grow.
import { storageOp } from "./db";

export const DUE_PAGE_SIZE = 500;

export interface DueKey {
  /** Where the next page starts: pass the last row's cursor back. */
  cursor: number;
  workspaceId: string;
  integration: string;
  cacheDate: number;
}

export interface DueWindow {
  /** Keys asked for after this (epoch ms) are kept warm. */
  requestedAfter: number;
  /** Data fetched before this (epoch ms) is stale. */
  staleBefore: number;
  /** Every healthy connection's default key (epoch seconds). */
  defaultKey: number;
}

interface Row {
  cursor: number;
  workspace_id: string;
  integration: string;
  cache_date: number;
}

const toKey = (r: Row): DueKey => ({
  cursor: r.cursor,
  workspaceId: r.workspace_id,
  integration: r.integration,
  cacheDate: r.cache_date,
});

/** Stale keys the host app asked for within the window, of connections that are not waiting for a reconnect. */
export const requestedDueKeys = storageOp(
  "page requested due keys",
  async (d1: D1Database, window: DueWindow, cursor: number): Promise<DueKey[]> => {
    const { results } = await d1
      .prepare(
        `SELECT c.rowid AS cursor, c.workspace_id, c.integration, c.cache_date
         FROM data_cache c
         JOIN integration_access a ON a.workspace_id = c.workspace_id AND a.integration = c.integration AND a.requires_reconnect = 0
        WHERE c.rowid > ?1 AND c.last_requested_at > ?2 AND c.created_at < ?3
        ORDER BY c.rowid LIMIT ${DUE_PAGE_SIZE}`,
      )
      .bind(cursor, window.requestedAfter, window.staleBefore)
      .all<Row>();
    return results.map(toKey);
  },
);

/**
 * Each healthy connection's default key when it is missing or stale. A default key the host app
 * also asked for within the window is left to requestedDueKeys.
 */
export const defaultDueKeys = storageOp(
  "page default due keys",
  async (d1: D1Database, window: DueWindow, cursor: number): Promise<DueKey[]> => {
    const { results } = await d1
      .prepare(
        `SELECT a.id AS cursor, a.workspace_id, a.integration, ?4 AS cache_date
         FROM integration_access a
         LEFT JOIN data_cache c ON c.workspace_id = a.workspace_id AND c.integration = a.integration AND c.cache_date = ?4
        WHERE a.id > ?1 AND a.requires_reconnect = 0
          AND (c.cache_date IS NULL OR (c.created_at < ?3 AND c.last_requested_at <= ?2))
        ORDER BY a.id LIMIT ${DUE_PAGE_SIZE}`,
      )
      .bind(cursor, window.requestedAfter, window.staleBefore, window.defaultKey)
      .all<Row>();
    return results.map(toKey);
  },
);
