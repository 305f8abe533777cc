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

  it("should delete runs past the retention, at most the limit per call", async () => {
    const now = Date.now();
    for (let i = 0; i < 3; i++) await run("ws-prune", "Xero", now - 40 * DAY + i);
    await run("ws-prune", "Xero", now - 60_000);
    expect(await pruneRuns(db(env.DB), now, 30 * DAY, 2)).toBe(2);
    expect(await pruneRuns(db(env.DB), now, 30 * DAY, 2)).toBe(1);
    expect(await pruneRuns(db(env.DB), now, 30 * DAY, 2)).toBe(0);
    const rows = await env.DB.prepare("SELECT started_at FROM fetch_runs WHERE workspace_id = 'ws-prune'").all<{
      started_at: number;
    }>();
    expect(rows.results.map((r) => r.started_at)).toEqual([now - 60_000]);
  });

  it("should close the runs an earlier version left running (migration 0007)", async () => {
    const now = Date.now();
    await run("ws-legacy", "Xero", now - 2 * 3600_000, "running");
    await run("ws-legacy", "Gusto", now - 60_000);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0007_"))!;
    for (const statement of migration.queries) await env.DB.prepare(statement).run();
    const rows = await env.DB.prepare(
      "SELECT integration, outcome, error, finished_at FROM fetch_runs WHERE workspace_id = 'ws-legacy' ORDER BY integration",
    ).all<{ integration: string; outcome: string; error: string | null; finished_at: number | null }>();
    expect(rows.results.map((r) => [r.integration, r.outcome])).toEqual([
      ["Gusto", "success"],
      ["Xero", "error"],
    ]);
    expect(rows.results[1]!.error).toMatch(/^abandoned/);
    expect(rows.results[1]!.finished_at).toBe(now - 2 * 3600_000);
  });
});
