// The fetch log, in the workspace object's own storage (sync KV API): one entry per ended fetch
// attempt or dead letter, in order per integration, kept for FETCH_RUNS_RETENTION_MS. Written by the
// object that fetched, so a fetch adds nothing to D1, and its size is bounded per workspace instead
// of growing in one database with every workspace's runs.
import type { FetchRun } from "../framework/runs";

/**
 * DO storage: `run:<integration>:<started at, 15 digits>:<cache date>` → FetchRun. Keys sort by start
 * within an integration; one key is fetched at most once at a time, so no two runs share a key, and
 * no counter is written beside each run.
 */
const RUN_PREFIX = "run:";
/** Runs past the retention are looked for at most this often per integration. */
const PRUNE_EVERY_MS = 3600_000;
/** How many of the oldest runs one pruning pass looks at (an hour's worth, and then some). */
const PRUNE_BATCH = 500;

const prefix = (integration: string) => `${RUN_PREFIX}${integration}:`;

export class RunLog {
  private readonly pruned = new Map<string, number>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly retentionMs: () => number,
  ) {}

  /** Appends a run, then drops the integration's runs past the retention (at most hourly). */
  record(run: FetchRun): void {
    this.storage.kv.put(`${prefix(run.integration)}${String(run.startedAt).padStart(15, "0")}:${run.cacheDate}`, run);
    this.prune(run.integration, run.finishedAt);
  }

  /** The latest run of each of `integrations` that has one. */
  latest(integrations: readonly string[]): Record<string, FetchRun> {
    const latest: Record<string, FetchRun> = {};
    for (const integration of integrations) {
      const [run] = this.list(integration, 1);
      if (run) latest[integration] = run;
    }
    return latest;
  }

  /** An integration's runs, newest first. */
  list(integration: string, limit: number): FetchRun[] {
    return [...this.storage.kv.list<FetchRun>({ prefix: prefix(integration), reverse: true, limit })].map(([, r]) => r);
  }

  private prune(integration: string, now: number): void {
    if (now - (this.pruned.get(integration) ?? 0) < PRUNE_EVERY_MS) return;
    this.pruned.set(integration, now);
    const cutoff = now - this.retentionMs();
    for (const [key, run] of this.storage.kv.list<FetchRun>({ prefix: prefix(integration), limit: PRUNE_BATCH })) {
      if (run.startedAt >= cutoff) break;
      this.storage.kv.delete(key);
    }
  }
}
