// Cron dispatch cost: pages of 500 rows, so N due keys cost about N / 500 D1 queries and N / 100
// sendBatch calls, and a budget keeps one tick inside the invocation's subrequest limit.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cacheDateKey } from "../src/framework/dates";
import { defaultFromDate } from "../src/framework/dates";
import { dispatchSettings } from "../src/framework/settings";
import { dispatchDueFetches } from "../src/jobs/dispatch";
import { configureTenant, type MintedGrant } from "./fake-client";
import { seedConnection } from "./helpers";

const HOUR = 3600_000;

async function seedStaleKeys(workspaceId: string, integration: string, n: number, now: number) {
  const statements = Array.from({ length: n }, (_, i) =>
    env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at, last_requested_at) VALUES (?, ?, ?, '{}', ?, ?)",
    ).bind(workspaceId, integration, 1_000_000 + i * 86_400, now - 2 * HOUR, now - HOUR),
  );
  for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));
}

/** Lifts the fake Gusto's 200-a-minute limit, so the consumer can fetch every dispatched key quickly. */
async function unlimited(grant: MintedGrant) {
  for (const tenantId of grant.tenantIds) await configureTenant(tenantId, { minuteLimit: 0 });
}

/** Waits until the queue consumer has finished `n` fetch runs of the workspace. */
async function consumed(workspaceId: string, n: number) {
  for (let i = 0; i < 1200; i++) {
    const done = await env.DB.prepare(
      "SELECT count(*) AS n FROM fetch_runs WHERE workspace_id = ? AND outcome != 'running'",
    )
      .bind(workspaceId)
      .first<{ n: number }>();
    if (done?.n === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the consumer did not finish ${n} runs of ${workspaceId}`);
}

describe("dispatchDueFetches", () => {
  it("should page through 1,001 due keys with 4 D1 queries and 12 sendBatch calls", async () => {
    const now = Date.now();
    await unlimited(await seedConnection("ws-many", "gusto"));
    await seedStaleKeys("ws-many", "Gusto", 1001, now);
    // A key fetched recently and one not asked for within the retention window are not due.
    await env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at, last_requested_at) VALUES ('ws-many', 'Gusto', 5, '{}', ?, ?)",
    )
      .bind(now, now)
      .run();
    await env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at, last_requested_at) VALUES ('ws-many', 'Gusto', 6, '{}', 0, ?)",
    )
      .bind(now - 40 * 24 * HOUR)
      .run();

    const report = await dispatchDueFetches(env, now);
    // 3 pages of requested keys (500 + 500 + 1) and 1 page of connections' default keys.
    expect(report).toEqual({ messages: 1002, d1Queries: 4, sendBatches: 12, truncated: false });

    // The queue delivers them to the consumer, which fetches each from the fake provider.
    await consumed("ws-many", 1002);
    const runs = await env.DB.prepare(
      "SELECT count(*) AS n FROM fetch_runs WHERE workspace_id = 'ws-many' AND trigger = 'cron'",
    ).first<{ n: number }>();
    expect(runs?.n).toBe(1002);
  });

  it("should stop at the subrequest budget and report it", async () => {
    const now = Date.now();
    await unlimited(await seedConnection("ws-budget", "gusto"));
    await seedStaleKeys("ws-budget", "Gusto", 600, now);
    const report = await dispatchDueFetches(env, now, { ...dispatchSettings(env), subrequestBudget: 8 });
    expect(report.truncated).toBe(true);
    expect(report.d1Queries + report.sendBatches).toBeLessThanOrEqual(8);
    expect(report).toMatchObject({ messages: 500, d1Queries: 1, sendBatches: 5 });
    await consumed("ws-budget", 500);
  });

  it("should use the first day of the month 23 months back as the default window", () => {
    expect(defaultFromDate(Date.UTC(2026, 10, 29))).toBe("2024-12-01");
    expect(cacheDateKey(defaultFromDate(Date.UTC(2026, 10, 29)))).toBe(cacheDateKey("2024-12-31"));
  });
});
