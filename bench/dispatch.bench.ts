// The cron's fan-out at 10k, 100k and 1M due cache keys, seeded in D1 in bulk by SQL. At 10k every
// level runs and each fetch message goes through its workspace object to the fake Gusto (the provider
// boundary) until all are drained; at 100k and 1M every level runs and the leaf fetch messages are
// counted (the 100k drain is bench/dispatch-drain.bench.ts, `npm run bench:drain`: 11 minutes here).
// The 100k keys are also dispatched with 1, 2 and 4 invocations at a time. Prints the figures and
// writes bench/results/dispatch.json; asserts nothing about time.
import { env } from "cloudflare:workers";
import { it } from "vitest";
import { runFanOut } from "../test/dispatch-driver";
import { measure, printRuns, type Run, seedKeys, seedWorkspaces } from "./dispatch-seed";
import { printTable } from "./report";

it("cron fan-out at 10k, 100k and 1M keys", async ({ task }) => {
  await seedWorkspaces();
  const runs: Run[] = [];
  const parallelism: { keys: number; parallelism: number; seconds: number; invocations: number }[] = [];
  // Each size is measured on fresh keys: the earlier ones were fetched and are no longer due.
  let seeded = 0;
  for (const [keys, drain] of [
    [10_000, true],
    // Drained fully by bench/dispatch-drain.bench.ts (npm run bench:drain): 11 minutes here.
    [100_000, false],
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
  printRuns("Cron fan-out", runs);
  printTable(
    "Fan-out of 100k keys by dispatch invocations at a time (counting only)",
    ["invocations at a time", "keys", "invocations", "seconds"],
    parallelism.map((r) => [r.parallelism, r.keys, r.invocations, r.seconds]),
  );
});
