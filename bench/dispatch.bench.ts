// Cron dispatch at scale: 10,000 due cache keys over 100 workspaces. Prints the D1 queries and
// sendBatch calls one tick costs, the messages sent and the wall time of the dispatch, then how long
// the queue consumer takes to drain them (each a real fetch from the fake Gusto, rate limit lifted).
import { env } from "cloudflare:workers";
import { it } from "vitest";
import { dispatchDueFetches } from "../src/jobs/dispatch";
import { configureTenant } from "../test/fake-client";
import { seedConnection } from "../test/helpers";
import { printTable } from "./report";

const WORKSPACES = 100;
const KEYS_PER_WORKSPACE = 100;
const HOUR = 3600_000;

it("cron dispatch of 10,000 keys", async ({ task }) => {
  const now = Date.now();
  const statements: D1PreparedStatement[] = [];
  for (let w = 0; w < WORKSPACES; w++) {
    const grant = await seedConnection(`bench-ws-${w}`, "gusto");
    for (const tenantId of grant.tenantIds) await configureTenant(tenantId, { minuteLimit: 0 });
    for (let k = 0; k < KEYS_PER_WORKSPACE; k++) {
      statements.push(
        env.DB.prepare(
          "INSERT INTO data_cache (workspace_id, integration, cache_date, payload, created_at, last_requested_at) VALUES (?, 'Gusto', ?, '{}', ?, ?)",
        ).bind(`bench-ws-${w}`, 1_000_000 + k * 86_400, now - 2 * HOUR, now - HOUR),
      );
    }
  }
  for (let i = 0; i < statements.length; i += 500) await env.DB.batch(statements.slice(i, i + 500));

  const started = performance.now();
  const report = await dispatchDueFetches(env, now);
  const dispatchMs = performance.now() - started;

  const drainStarted = performance.now();
  let done = 0;
  for (let i = 0; i < 1200 && done < report.messages; i++) {
    await new Promise((r) => setTimeout(r, 250));
    done =
      (await env.DB.prepare("SELECT count(*) AS n FROM fetch_runs WHERE outcome != 'running'").first<{ n: number }>())
        ?.n ?? 0;
  }
  const drainMs = performance.now() - drainStarted;

  task.meta.benchResult = {
    name: "dispatch",
    figures: {
      keys: WORKSPACES * KEYS_PER_WORKSPACE,
      messages: report.messages,
      d1_queries: report.d1Queries,
      queue_calls: report.sendBatches,
      truncated: report.truncated,
      dispatch_ms: Math.round(dispatchMs),
      drained: done,
      drain_ms: Math.round(drainMs),
    },
  };
  printTable(
    "Cron dispatch",
    [
      "due keys",
      "messages",
      "D1 queries",
      "sendBatch calls",
      "subrequests",
      "truncated",
      "dispatch ms",
      "drained",
      "drain ms",
    ],
    [
      [
        WORKSPACES * KEYS_PER_WORKSPACE,
        report.messages,
        report.d1Queries,
        report.sendBatches,
        report.d1Queries + report.sendBatches,
        String(report.truncated),
        dispatchMs.toFixed(0),
        done,
        drainMs.toFixed(0),
      ],
    ],
  );
});
