// Cron keep-alive: refresh connections whose refresh token would otherwise expire unused (Xero's
// expire after 60 days idle). A bounded batch per tick, oldest first, each through its workspace's DO.
import { keepAliveBatchSize } from "../framework/settings";
import { availableProviders } from "../providers/registry";
import { db } from "../storage/db";
import { idleConnections } from "../storage/connections";
import { workspaceClient } from "../workspace/client";

export interface KeepAliveReport {
  /** Connections found idle for longer than their provider's keep-alive age. */
  due: number;
  refreshed: number;
  failed: number;
}

export async function keepAlivePass(
  env: Env,
  now = Date.now(),
  limit = keepAliveBatchSize(env),
): Promise<KeepAliveReport> {
  const d = db(env.DB);
  const report: KeepAliveReport = { due: 0, refreshed: 0, failed: 0 };
  for (const provider of availableProviders(env)) {
    const remaining = limit - report.due;
    if (provider.keepAliveAfterMs === undefined || remaining <= 0) continue;
    const rows = await idleConnections(d, provider.name, now - provider.keepAliveAfterMs, remaining);
    report.due += rows.length;
    const outcomes = await Promise.allSettled(
      rows.map((r) => workspaceClient(env, r.workspaceId).refreshNow(r.integration)),
    );
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === "fulfilled" && outcome.value.ok) report.refreshed++;
      else {
        report.failed++;
        const reason =
          outcome.status === "rejected" ? String(outcome.reason) : outcome.value.ok ? "" : outcome.value.failure.reason;
        console.warn("keep-alive refresh failed", rows[i]?.integration, reason);
      }
    }
  }
  return report;
}
