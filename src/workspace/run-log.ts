// The fetch log, in the workspace object's own storage (sync KV API): one entry per ended fetch
// attempt or dead letter, in order per connection, kept for FETCH_RUNS_RETENTION_MS. Written by the
// object that fetched, so a fetch adds nothing to D1, and its size is bounded per workspace instead
// of growing in one database with every workspace's runs.
import type { FetchRun } from "../framework/runs";
import { type Conn, connKey } from "./connections";
import { HOUR_MS } from "../framework/durations";

/**
 * DO storage: `run:<integration>/<tenant>:<started at, 15 digits>:<cache date>` → FetchRun. Keys sort
 * by start within a connection; one key is fetched at most once at a time, so no two runs share a
 * key, and no counter is written beside each run. Runs logged before connections had tenants
 * (`run:<integration>:…`) are not listed and age out with the retention.
 */
const RUN_PREFIX = "run:";
/** Runs past the retention are looked for at most this often per integration. */
const PRUNE_EVERY_MS = HOUR_MS;
/** How many of the oldest runs one pruning pass looks at (an hour's worth, and then some). */
const PRUNE_BATCH = 500;

const prefix = (conn: Conn) => `${RUN_PREFIX}${connKey(conn)}:`;

export class RunLog {
  private readonly pruned = new Map<string, number>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly retentionMs: () => number,
  ) {}

  /** Appends a run, then drops the connection's runs past the retention (at most hourly). */
  record(run: FetchRun): void {
    this.storage.kv.put(`${prefix(run)}${String(run.startedAt).padStart(15, "0")}:${run.cacheDate}`, run);
    this.prune(run, run.finishedAt);
  }

  /** The latest run of each of `conns` that has one, by connKey. */
  latest(conns: readonly Conn[]): Record<string, FetchRun> {
    const latest: Record<string, FetchRun> = {};
    for (const conn of conns) {
      const [run] = this.list(conn, 1);
      if (run) latest[connKey(conn)] = run;
    }
    return latest;
  }

  /** A connection's runs, newest first. */
  list(conn: Conn, limit: number): FetchRun[] {
    return [...this.storage.kv.list<FetchRun>({ prefix: prefix(conn), reverse: true, limit })].map(([, r]) => r);
  }

  /** Every tenant's runs of an integration, newest first. */
  listAll(integration: string, limit: number): FetchRun[] {
    const runs = [...this.storage.kv.list<FetchRun>({ prefix: `${RUN_PREFIX}${integration}/` })].map(([, r]) => r);
    return runs.sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
  }

  private prune(conn: Conn, now: number): void {
    const key = connKey(conn);
    if (now - (this.pruned.get(key) ?? 0) < PRUNE_EVERY_MS) return;
    this.pruned.set(key, now);
    const cutoff = now - this.retentionMs();
    for (const [key, run] of this.storage.kv.list<FetchRun>({ prefix: prefix(conn), limit: PRUNE_BATCH })) {
      if (run.startedAt >= cutoff) break;
      this.storage.kv.delete(key);
    }
  }
}
