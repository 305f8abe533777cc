// The 100k drain: 100,000 due keys fanned out and every fetch run through its workspace object
// against the fake Gusto, as `npm run bench:drain` (not part of `npm run bench`: it takes about 11
// minutes on a 2-core machine, bounded by the local D1's writes). Writes bench/results/dispatch-drain.json.
import { it } from "vitest";
import { measure, printRuns, seedKeys, seedWorkspaces } from "./dispatch-seed";

it("cron fan-out of 100k keys, drained", async ({ task }) => {
  await seedWorkspaces();
  const now = Date.now();
  await seedKeys(0, 100_000, now);
  const run = await measure(100_000, now, true);
  task.meta.benchResult = { name: "dispatch-drain", figures: run };
  printRuns("Cron fan-out of 100k keys, drained", [run]);
}, 1_800_000);
