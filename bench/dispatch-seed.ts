// Shared by the fan-out benchmarks: real connections at the fake Gusto, synthetic due keys seeded in
// bulk by SQL, and one measured fan-out (counted, or drained through the workspace objects).
import { env } from "cloudflare:workers";
import { runFanOut } from "../test/dispatch-driver";
import { configureTenant, setGustoEmployees } from "../test/fake-client";
import { seedConnection } from "../test/helpers";
import { printTable } from "./report";

const HOUR = 3600_000;
/** Real connections (decryptable tokens at the fake Gusto) the drained keys belong to. */
const WORKSPACES = 100;

export interface Run {
  keys: number;
  d1_queries: number;
  queue_calls: number;
  max_subrequests_per_invocation: number;
  truncated: boolean;
  /** Dispatch alone: seed to the last leaf's sends. */
  seconds: number;
  /** Keys whose index row a fetch rewrote during the run (drained runs), else null. */
  drained: number | null;
  /** Seed to the last fetch finished (drained runs), else null. */
  drain_seconds: number | null;
  /** Fetch messages that failed or whose call was dropped (drained runs; the queue would retry them). */
  failed: number | null;
}

/** Due keys `from`…`to`-1 spread over the workspaces `ws-0`…, 1,000 cache dates each, by one SQL statement. */
export async function seedKeys(from: number, to: number, now: number): Promise<void> {
  await env.DB.prepare(
    `WITH RECURSIVE k(i) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ?2)
     INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at, last_requested_at)
     SELECT 'bench-ws-' || (i % ${WORKSPACES}), 'Gusto', 1000000 + (i / ${WORKSPACES}) * 86400, '{}', ?3, ?4 FROM k`,
  )
    // Integers in the SQL (a literal, a CAST): a bound JS number is a REAL, and 'ws-' || 7.0 is "ws-7.0".
    .bind(from, to, now - 2 * HOUR, now - HOUR)
    .run();
}

/** Keys a fetch has written since `since` (epoch ms): their index rows say when they were fetched. */
const fetchedSince = async (since: number) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM data_cache WHERE created_at >= ?1")
      .bind(since)
      .first<{ n: number }>()
  )?.n ?? 0;

/** One fan-out of the due keys, drained `fetchParallelism` fetches at a time or only counted. */
export async function measure(keys: number, now: number, drain: boolean, fetchParallelism = 20): Promise<Run> {
  const since = Date.now();
  const started = performance.now();
  // "run": every fetch message goes through its workspace object (the consumer's path) before this returns.
  const fanOut = await runFanOut(now, { work: drain ? "run" : "count", kinds: ["requested"], fetchParallelism });
  const drained = drain ? await fetchedSince(since) : null;
  return {
    keys,
    d1_queries: fanOut.d1Queries,
    queue_calls: fanOut.queueCalls,
    max_subrequests_per_invocation: fanOut.maxSubrequestsPerInvocation,
    truncated: fanOut.messages < keys,
    seconds: Number(fanOut.seconds.toFixed(2)),
    drained,
    drain_seconds: drain ? Number(((performance.now() - started) / 1000).toFixed(2)) : null,
    failed: drain ? fanOut.failed : null,
  };
}

/**
 * The bench's real connections (decryptable tokens at the fake Gusto), rate limit lifted, no
 * employees. Returns their tenants.
 */
export async function seedWorkspaces(): Promise<string[]> {
  const tenants: string[] = [];
  for (let w = 0; w < WORKSPACES; w++) {
    const grant = await seedConnection(`bench-ws-${w}`, "gusto");
    for (const tenantId of grant.tenantIds) {
      await configureTenant(tenantId, { minuteLimit: 0 });
      // One page, no employees: the bench measures the fan-out and the fetch path, not payroll parsing.
      await setGustoEmployees(tenantId, []);
      tenants.push(tenantId);
    }
  }
  return tenants;
}

/** Prints measured fan-outs, one row each. */
export function printRuns(title: string, runs: readonly Run[]): void {
  printTable(
    title,
    [
      "keys",
      "D1 queries",
      "queue calls",
      "max subrequests/invocation",
      "truncated",
      "dispatch s",
      "drained",
      "drain s",
    ],
    runs.map((r) => [
      r.keys,
      r.d1_queries,
      r.queue_calls,
      r.max_subrequests_per_invocation,
      String(r.truncated),
      r.seconds,
      r.drained ?? "counted only",
      r.drain_seconds ?? "—",
    ]),
  );
}
