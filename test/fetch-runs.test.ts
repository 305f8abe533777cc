// The fetch log: the latest run per integration, and cron housekeeping.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { db } from "../src/storage/db";
import { latestRuns, pruneRuns } from "../src/storage/runs";

const DAY = 24 * 3600_000;

async function run(workspaceId: string, integration: string, startedAt: number, outcome = "success") {
  await env.DB.prepare(
    "INSERT INTO fetch_runs (workspace_id, integration, cache_date, trigger, started_at, finished_at, outcome) VALUES (?, ?, 0, 'cron', ?, ?, ?)",
  )
    .bind(workspaceId, integration, startedAt, outcome === "running" ? null : startedAt, outcome)
    .run();
}

describe("fetch_runs", () => {
  it("should find each integration's latest run however many runs another one has", async () => {
    const now = Date.now();
    await run("ws-runs", "Gusto", now - DAY, "error");
    for (let i = 0; i < 250; i++) await run("ws-runs", "Xero", now - DAY + i);
    await run("ws-other", "Gusto", now);
    const latest = await latestRuns(db(env.DB), "ws-runs");
    expect(latest.get("Gusto")?.outcome).toBe("error");
    expect(latest.get("Xero")?.startedAt).toBe(now - DAY + 249);
  });

  it("should delete runs past the retention and mark long-running ones abandoned", async () => {
    const now = Date.now();
    await run("ws-prune", "Xero", now - 40 * DAY);
    await run("ws-prune", "Xero", now - 2 * 3600_000, "running");
    await run("ws-prune", "Xero", now - 60_000, "running");
    const report = await pruneRuns(db(env.DB), now, 30 * DAY);
    expect(report).toEqual({ deleted: 1, abandoned: 1 });
    const rows = await env.DB.prepare(
      "SELECT outcome, error FROM fetch_runs WHERE workspace_id = 'ws-prune' ORDER BY started_at",
    ).all<{ outcome: string; error: string | null }>();
    expect(rows.results.map((r) => r.outcome)).toEqual(["error", "running"]);
    expect(rows.results[0]!.error).toMatch(/^abandoned/);
  });
});
