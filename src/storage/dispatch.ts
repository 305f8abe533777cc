// The cron's reads: pages of cache keys due for a refresh and of idle connections, each within one
// key range (lo exclusive, hi inclusive) of a keyset cursor — data_cache's rowid or
// integration_access's id — so the fan-out can split the key space and each page is one indexed query.
import { storageOp } from "./db";

export const DUE_PAGE_SIZE = 500;

export interface DueKey {
  /** Where the next page starts: pass the last row's cursor back. */
  cursor: number;
  workspaceId: string;
  integration: string;
  tenantId: string;
  cacheDate: number;
}

export interface DueWindow {
  /** Keys asked for after this (epoch ms) are kept warm. */
  requestedAfter: number;
  /** Data fetched before this (epoch ms) is stale. */
  staleBefore: number;
  /** Every healthy connection's default key (epoch seconds). */
  defaultKey: number;
  /**
   * Each provider's current data format, as a JSON object (`{"Xero":2}`); a key cached with an older
   * format is due whatever its age. Providers left out are at format 1.
   */
  formats: string;
}

/** SQL: the data_cache row `c` holds an older data format than its provider's current one (?6). */
const OLD_FORMAT = `c.format_version < coalesce(json_extract(?6, '$."' || c.integration || '"'), 1)`;

interface Row {
  cursor: number;
  workspace_id: string;
  integration: string;
  tenant_id: string;
  cache_date: number;
}

const toKey = (r: Row): DueKey => ({
  cursor: r.cursor,
  workspaceId: r.workspace_id,
  integration: r.integration,
  tenantId: r.tenant_id,
  cacheDate: r.cache_date,
});

/** A keyset range: cursors above `lo`, up to and including `hi`. */
export interface KeyRange {
  lo: number;
  hi: number;
}

/** The largest cursor of each key space (0 when empty): where the cron's root ranges end. */
export const keySpaceEnds = storageOp(
  "read key space ends",
  async (d1: D1Database): Promise<{ cacheRows: number; connections: number }> => {
    const row = await d1
      .prepare(
        "SELECT (SELECT coalesce(max(rowid), 0) FROM data_cache) AS cache_rows, (SELECT coalesce(max(id), 0) FROM integration_access) AS connections",
      )
      .first<{ cache_rows: number; connections: number }>();
    return { cacheRows: row?.cache_rows ?? 0, connections: row?.connections ?? 0 };
  },
);

/** Stale keys the host app asked for within the window, of connections that are not waiting for a reconnect. */
export const requestedDueKeys = storageOp(
  "page requested due keys",
  async (d1: D1Database, window: DueWindow, cursor: number, range: KeyRange): Promise<DueKey[]> => {
    const { results } = await d1
      .prepare(
        `SELECT c.rowid AS cursor, c.workspace_id, c.integration, c.tenant_id, c.cache_date
         FROM data_cache c
         JOIN integration_access a ON a.workspace_id = c.workspace_id AND a.integration = c.integration
          AND a.tenant_id = c.tenant_id AND a.requires_reconnect = 0
        WHERE c.rowid > ?1 AND c.rowid <= ?4 AND c.last_requested_at > ?2 AND (c.created_at < ?3 OR ${OLD_FORMAT})
        ORDER BY c.rowid LIMIT ${DUE_PAGE_SIZE}`,
      )
      .bind(Math.max(cursor, range.lo), window.requestedAfter, window.staleBefore, range.hi, null, window.formats)
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
  async (d1: D1Database, window: DueWindow, cursor: number, range: KeyRange): Promise<DueKey[]> => {
    const { results } = await d1
      .prepare(
        `SELECT a.id AS cursor, a.workspace_id, a.integration, a.tenant_id, ?4 AS cache_date
         FROM integration_access a
         LEFT JOIN data_cache c ON c.workspace_id = a.workspace_id AND c.integration = a.integration
          AND c.tenant_id = a.tenant_id AND c.cache_date = ?4
        WHERE a.id > ?1 AND a.id <= ?5 AND a.requires_reconnect = 0
          AND (c.cache_date IS NULL OR ((c.created_at < ?3 OR ${OLD_FORMAT}) AND c.last_requested_at <= ?2))
        ORDER BY a.id LIMIT ${DUE_PAGE_SIZE}`,
      )
      .bind(
        Math.max(cursor, range.lo),
        window.requestedAfter,
        window.staleBefore,
        window.defaultKey,
        range.hi,
        window.formats,
      )
      .all<Row>();
    return results.map(toKey);
  },
);

/**
 * Healthy connections of `integrations` in the range whose tokens were issued before `issuedBefore`
 * (the earliest keep-alive cutoff; the caller applies each provider's own).
 */
export const idleConnectionsIn = storageOp(
  "page idle connections",
  async (
    d1: D1Database,
    integrations: readonly string[],
    issuedBefore: number,
    cursor: number,
    range: KeyRange,
  ): Promise<(DueKey & { tokensIssuedAt: number })[]> => {
    if (integrations.length === 0) return [];
    const names = integrations.map((_, i) => `?${i + 5}`).join(", ");
    const { results } = await d1
      .prepare(
        `SELECT id AS cursor, workspace_id, integration, tenant_id, 0 AS cache_date, tokens_issued_at
         FROM integration_access
        WHERE id > ?1 AND id <= ?2 AND requires_reconnect = 0 AND tokens_issued_at < ?3 AND integration IN (${names})
        ORDER BY id LIMIT ?4`,
      )
      .bind(Math.max(cursor, range.lo), range.hi, issuedBefore, DUE_PAGE_SIZE, ...integrations)
      .all<Row & { tokens_issued_at: number }>();
    return results.map((r) => ({ ...toKey(r), tokensIssuedAt: r.tokens_issued_at }));
  },
);
