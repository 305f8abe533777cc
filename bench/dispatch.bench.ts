// The cron's fan-out at 10k, 100k and 1M due cache keys, seeded in D1 in bulk by SQL. At 10k and 100k
// every level runs and each fetch message goes through its workspace object to the fake Gusto (the
// provider boundary) until all are drained; at 1M every level runs and the leaf fetch messages are
// counted. Wall time against parallelism: the 100k keys dispatched with 1, 2 and 4 invocations at a
// time, and 400 keys drained by 2, 5, 10 and 20 fetch consumers at a time while the provider takes
// 100 ms a call. Prints the figures and writes bench/results/dispatch.json; asserts nothing about time.
import { env } from "cloudflare:workers";
import { it } from "vitest";
import { runFanOut } from "../test/dispatch-driver";
import { configureTenant } from "../test/fake-client";
import { measure, printRuns, type Run, seedKeys, seedWorkspaces } from "./dispatch-seed";
import { printTable } from "./report";

/** Keys and provider latency of the fetch-parallelism runs: latency-bound, as production fetches are. */
const LATENCY_KEYS = 400;
const LATENCY_MS = 100;

it("cron fan-out at 10k, 100k and 1M keys", async ({ task }) => {
  const tenants = await seedWorkspaces();
  let seeded = 0;
  /** Fresh due keys: the earlier ones are marked fetched, as after their drain, so they are not due. */
  const fresh = async (keys: number) => {
    const now = Date.now();
    // A second before now: not due, and not counted as fetched by the run that follows.
    await env.DB.prepare("UPDATE data_cache SET created_at = ?1")
      .bind(now - 1000)
      .run();
    await seedKeys(seeded, seeded + keys, now);
    seeded += keys;
    return now;
  };

  const consumers: { keys: number; consumers: number; seconds: number; fetches_per_second: number }[] = [];
  for (const tenantId of tenants) await configureTenant(tenantId, { latencyMs: LATENCY_MS });
  for (const p of [2, 5, 10, 20]) {
    const run = await measure(LATENCY_KEYS, await fresh(LATENCY_KEYS), true, p);
    const keys = run.drained ?? 0;
    const seconds = run.drain_seconds ?? 0;
    consumers.push({ keys, consumers: p, seconds, fetches_per_second: Number((keys / seconds).toFixed(1)) });
  }
  for (const tenantId of tenants) await configureTenant(tenantId, { latencyMs: 0 });

  const runs: Run[] = [];
  const dispatchers: { keys: number; parallelism: number; seconds: number; invocations: number }[] = [];
  for (const keys of [10_000, 100_000, 1_000_000]) {
    const now = await fresh(keys);
    if (keys === 100_000) {
      // The same 100k due keys dispatched with 1, 2 and 4 invocations at a time, counting only (so
      // they stay due for the drained run that follows).
      for (const p of [1, 2, 4]) {
        const fanOut = await runFanOut(now, { work: "count", kinds: ["requested"], parallelism: p });
        dispatchers.push({
          keys: fanOut.messages,
          parallelism: p,
          seconds: Number(fanOut.seconds.toFixed(2)),
          invocations: fanOut.invocations,
        });
      }
    }
    // Drained at 10k and 100k; at 1M only counted.
    runs.push(await measure(keys, now, keys <= 100_000));
  }

  task.meta.benchResult = { name: "dispatch", figures: { runs, parallelism: dispatchers, fetch_consumers: consumers } };
  printRuns("Cron fan-out", runs);
  printTable(
    "Fan-out of 100k keys by dispatch invocations at a time (counting only)",
    ["invocations at a time", "keys", "invocations", "seconds"],
    dispatchers.map((r) => [r.parallelism, r.keys, r.invocations, r.seconds]),
  );
  printTable(
    `Drain of ${LATENCY_KEYS} keys by fetch consumers at a time, the provider taking ${LATENCY_MS} ms a call`,
    ["consumers at a time", "keys", "seconds", "fetches/s"],
    consumers.map((r) => [r.consumers, r.keys, r.seconds, r.fetches_per_second]),
  );
}, 1_800_000);
