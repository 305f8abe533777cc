// The cron's fan-out at 10k, 100k and 1M due cache keys, seeded in D1 in bulk by SQL. At 10k and 100k
// every level runs and the fetch messages go to the real FETCH_QUEUE, whose consumer fetches each key
// from the fake Gusto (the provider boundary) until all are drained; at 1M every level of the
// fan-out runs and the leaf fetch messages are counted, not sent. Before the 100k drain, the same
// keys are dispatched counting only with 1, 2 and 4 dispatch invocations at a time. Prints the figures and writes
// bench/results/dispatch.json; asserts nothing about time.
import { env } from "cloudflare:workers";
import { it } from "vitest";
import { runFanOut } from "../test/dispatch-driver";
import { configureTenant } from "../test/fake-client";
import { seedConnection } from "../test/helpers";
import { printTable } from "./report";

const HOUR = 3600_000;
/** Real connections (decryptable tokens at the fake Gusto) the drained keys belong to. */
const WORKSPACES = 100;

interface Run {
  keys: number;
  d1_queries: number;
  queue_calls: number;
  max_subrequests_per_invocation: number;
  truncated: boolean;
  /** Dispatch alone: seed to the last leaf's sends. */
  seconds: number;
  /** Fetch messages that reached a fetch (drained runs), else null. */
  drained: number | null;
  /** Seed to the last fetch finished (drained runs), else null. */
  drain_seconds: number | null;
}

/** Due keys `from`…`to`-1 spread over the workspaces `ws-0`…, 1,000 cache dates each, by one SQL statement. */
async function seedKeys(from: number, to: number, now: number): Promise<void> {
  await env.DB.prepare(
    `WITH RECURSIVE k(i) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ?2)
     INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at, last_requested_at)
     SELECT 'bench-ws-' || (i % ${WORKSPACES}), 'Gusto', 1000000 + (i / ${WORKSPACES}) * 86400, '{}', ?3, ?4 FROM k`,
  )
    // Integers in the SQL (a literal, a CAST): a bound JS number is a REAL, and 'ws-' || 7.0 is "ws-7.0".
    .bind(from, to, now - 2 * HOUR, now - HOUR)
    .run();
}

const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())?.n ?? 0;

async function measure(keys: number, now: number, drain: boolean): Promise<Run> {
  const runsBefore = await count("SELECT count(*) AS n FROM fetch_runs");
  const started = performance.now();
  const fanOut = await runFanOut(now, { work: drain ? "queue" : "count", kinds: ["requested"] });
  let drained: number | null = null;
  if (drain) {
    for (let i = 0; i < 4 * 60 * 15 && (drained ?? 0) < fanOut.messages; i++) {
      await new Promise((r) => setTimeout(r, 250));
      drained = (await count("SELECT count(*) AS n FROM fetch_runs WHERE outcome != 'running'")) - runsBefore;
    }
  }
  return {
    keys,
    d1_queries: fanOut.d1Queries,
    queue_calls: fanOut.queueCalls,
    max_subrequests_per_invocation: fanOut.maxSubrequestsPerInvocation,
    truncated: fanOut.messages < keys,
    seconds: Number(fanOut.seconds.toFixed(2)),
    drained,
    drain_seconds: drain ? Number(((performance.now() - started) / 1000).toFixed(1)) : null,
  };
}

it("cron fan-out at 10k, 100k and 1M keys", async ({ task }) => {
  for (let w = 0; w < WORKSPACES; w++) {
    const grant = await seedConnection(`bench-ws-${w}`, "gusto");
    for (const tenantId of grant.tenantIds) await configureTenant(tenantId, { minuteLimit: 0 });
  }
  const runs: Run[] = [];
  const parallelism: { keys: number; parallelism: number; seconds: number; invocations: number }[] = [];
  // Each size is measured on fresh keys: the earlier ones were fetched and are no longer due.
  let seeded = 0;
  for (const [keys, drain] of [
    [10_000, true],
    [100_000, true],
    [1_000_000, false],
  ] as const) {
    const now = Date.now();
    await env.DB.prepare("UPDATE data_cache SET created_at = ?1").bind(now).run();
    await seedKeys(seeded, seeded + keys, now);
    seeded += keys;
    if (keys === 100_000) {
      // The same 100k due keys dispatched with 1, 2 and 4 invocations at a time, counting only (so
      // they stay due for the drained run that follows).
      for (const p of [1, 2, 4]) {
        const fanOut = await runFanOut(now, { work: "count", kinds: ["requested"], parallelism: p });
        parallelism.push({
          keys: fanOut.messages,
          parallelism: p,
          seconds: Number(fanOut.seconds.toFixed(2)),
          invocations: fanOut.invocations,
        });
      }
    }
    runs.push(await measure(keys, now, drain));
  }

  task.meta.benchResult = { name: "dispatch", figures: { runs, parallelism } };
  printTable(
    "Cron fan-out",
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
  printTable(
    "Fan-out of 100k keys by dispatch invocations at a time (counting only)",
    ["invocations at a time", "keys", "invocations", "seconds"],
    parallelism.map((r) => [r.parallelism, r.keys, r.invocations, r.seconds]),
  );
});
