// The cron's fan-out: a tick seeds a few range messages, the dispatch consumer splits wide ranges and
// pages narrow ones into fetch messages. Through the real queues end to end, and in-process (test/
// dispatch-driver.ts) to count what each step costs: D1 queries and queue calls linear in N, every
// invocation within its subrequest budget, nothing truncated.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cacheDateKey } from "../src/framework/dates";
import { defaultFromDate } from "../src/framework/dates";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { dataFormatOf } from "../src/framework/provider";
import { FANOUT, LEAF_SPAN, splitRange } from "../src/jobs/dispatch";
import { providers } from "../src/providers/registry";
import worker from "../src/index";
import { runFanOut } from "./dispatch-driver";
import { configureTenant, type MintedGrant } from "./fake-client";
import { fetchRuns, seedConnection } from "./helpers";

const HOUR = 3600_000;

async function seedStaleKeys(workspaceId: string, integration: string, tenantId: string, n: number, now: number) {
  const statements = Array.from({ length: n }, (_, i) =>
    env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, tenant_id, cache_date, payload, created_at, last_requested_at) VALUES (?, ?, ?, ?, '{}', ?, ?)",
    ).bind(workspaceId, integration, tenantId, 1_000_000 + i * 86_400, now - 2 * HOUR, now - HOUR),
  );
  for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));
}

/** Lifts the fake Gusto's 200-a-minute limit, so the consumer can fetch every dispatched key quickly. */
async function unlimited(grant: MintedGrant) {
  for (const tenantId of grant.tenantIds) await configureTenant(tenantId, { minuteLimit: 0 });
}

/** Waits until the queue consumer has finished `n` fetch runs of the workspace's Gusto. */
async function consumed(workspaceId: string, n: number) {
  await expect
    .poll(async () => (await fetchRuns(workspaceId, "Gusto")).length, {
      timeout: 60_000,
      interval: 50,
      message: `the consumer did not finish ${n} runs of ${workspaceId}`,
    })
    .toBe(n);
}

/** N synthetic due keys over N / 100 workspaces, inserted in bulk by SQL (counting only: nothing is fetched). */
async function seedSynthetic(prefix: string, n: number, now: number) {
  const workspaces = Math.ceil(n / 100);
  await env.DB.prepare(
    `WITH RECURSIVE w(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM w WHERE i + 1 < ?1)
     INSERT INTO integration_access (workspace_id, integration, token_ciphertext, key_id, created_at, updated_at, tokens_issued_at)
     SELECT ?2 || i, 'Gusto', 'x', 'k', ?3, ?3, ?3 FROM w`,
  )
    .bind(workspaces, prefix, now)
    .run();
  await env.DB.prepare(
    `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ?1)
     INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at, last_requested_at)
     SELECT ?2 || (i / 100), 'Gusto', 1000000 + (i % 100) * 86400, '{}', ?3, ?4 FROM k`,
  )
    .bind(n, prefix, now - 2 * HOUR, now - HOUR)
    .run();
}

describe("the cron's fan-out", () => {
  // 1,002 fetches through the local queues: the default 20 s is too short on a loaded machine.
  it("should fetch every due key of a tick through the dispatch and fetch queues", { timeout: 90_000 }, async () => {
    const now = Date.now();
    const grant = await seedConnection("ws-many", "gusto");
    const company = grant.tenantIds[0]!;
    await unlimited(grant);
    await seedStaleKeys("ws-many", "Gusto", company, 1001, now);
    // A key fetched recently (in Gusto's current data format) and one not asked for within the
    // retention window are not due.
    await env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, tenant_id, cache_date, payload, created_at, last_requested_at, format_version) VALUES ('ws-many', 'Gusto', ?, 5, '{}', ?, ?, ?)",
    )
      .bind(company, now, now, dataFormatOf(providers.Gusto))
      .run();
    await env.DB.prepare(
      "INSERT INTO data_cache (workspace_id, integration, tenant_id, cache_date, payload, created_at, last_requested_at) VALUES ('ws-many', 'Gusto', ?, 6, '{}', 0, ?)",
    )
      .bind(company, now - 40 * 24 * HOUR)
      .run();

    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: now }), env, ctx);
    await waitOnExecutionContext(ctx);

    // 1,001 requested keys and the connection's default key.
    await consumed("ws-many", 1002);
    const runs = await fetchRuns("ws-many", "Gusto");
    expect(runs.filter((r) => r.trigger === "cron" && r.outcome === "success")).toHaveLength(1002);
  });

  it("should cost D1 queries and queue calls linear in N, each invocation bounded, nothing left out", async () => {
    const now = Date.now();
    const small = await (async () => {
      await seedSynthetic("lin-a-", 2_000, now);
      return runFanOut(now, { work: "count", kinds: ["requested"] });
    })();
    expect(small.messages).toBe(2_000);
    await seedSynthetic("lin-b-", 18_000, now);
    const large = await runFanOut(now, { work: "count", kinds: ["requested"] });
    expect(large.messages).toBe(20_000);
    // Per key: a D1 query per 500 and a sendBatch per 100, plus a few splits; 10x the keys, at most ~10x the cost.
    expect(large.d1Queries).toBeLessThanOrEqual(Math.ceil(20_000 / 500) + large.ranges + 2);
    expect(large.queueCalls).toBeLessThanOrEqual(Math.ceil(20_000 / 100) + large.ranges + 2);
    expect(large.d1Queries + large.queueCalls).toBeLessThanOrEqual(12 * (small.d1Queries + small.queueCalls));
    // A batch of ten leaf ranges stays well inside an invocation's 1,000 subrequests.
    expect(large.maxSubrequestsPerInvocation).toBeLessThanOrEqual(10 * (LEAF_SPAN / 500 + LEAF_SPAN / 100 + 2));
    expect(large.maxSubrequestsPerInvocation).toBeLessThan(900);
  });

  it("should split a wide range into contiguous children that cover it exactly", () => {
    const children = splitRange({ kind: "requested", lo: 7, hi: 100_007, now: 0 });
    expect(children).toHaveLength(FANOUT);
    expect(children[0]!.lo).toBe(7);
    expect(children.at(-1)!.hi).toBe(100_007);
    for (let i = 1; i < children.length; i++) expect(children[i]!.lo).toBe(children[i - 1]!.hi);
  });

  it("should use the first day of the month 23 months back as the default window", () => {
    expect(defaultFromDate(Date.UTC(2026, 10, 29))).toBe("2024-12-01");
    expect(cacheDateKey(defaultFromDate(Date.UTC(2026, 10, 29)))).toBe(cacheDateKey("2024-12-31"));
  });
});
