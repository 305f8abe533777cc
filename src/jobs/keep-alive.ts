// Cron keep-alive: refresh connections whose refresh token would otherwise expire unused (Xero's
// expire after 60 days idle). A bounded batch per tick, oldest first, each through its workspace's DO.
import { and, asc, eq, lt } from "drizzle-orm";
import { readNumber } from "../config";
import { db } from "../db/access";
import { integrationAccess } from "../db/schema";
import { providerList } from "../registry";
import { workspaceStub } from "../workspace/stub";

export interface KeepAliveReport {
  /** Connections found idle for longer than their provider's keep-alive age. */
  due: number;
  refreshed: number;
  failed: number;
}

export function keepAliveBatchSize(env: Env): number {
  return Math.floor(readNumber(env, "KEEPALIVE_BATCH_SIZE", 50, 1));
}

export async function keepAlivePass(env: Env, now = Date.now(), limit = keepAliveBatchSize(env)): Promise<KeepAliveReport> {
  const d = db(env.DB);
  const report: KeepAliveReport = { due: 0, refreshed: 0, failed: 0 };
  for (const provider of providerList) {
    const remaining = limit - report.due;
    if (provider.keepAliveAfterMs === undefined || remaining <= 0) continue;
    const rows = await d
      .select({ workspaceId: integrationAccess.workspaceId, integration: integrationAccess.integration })
      .from(integrationAccess)
      .where(
        and(
          eq(integrationAccess.integration, provider.name),
          eq(integrationAccess.requiresReconnect, false),
          lt(integrationAccess.tokensIssuedAt, now - provider.keepAliveAfterMs),
        ),
      )
      .orderBy(asc(integrationAccess.tokensIssuedAt))
      .limit(remaining)
      .all();
    report.due += rows.length;
    const outcomes = await Promise.allSettled(rows.map((r) => workspaceStub(env, r.workspaceId).refreshNow(r.workspaceId, r.integration)));
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === "fulfilled" && outcome.value.ok) report.refreshed++;
      else {
        report.failed++;
        const reason = outcome.status === "rejected" ? String(outcome.reason) : outcome.value.ok ? "" : outcome.value.error.code;
        console.warn("keep-alive refresh failed", rows[i]?.integration, reason);
      }
    }
  }
  return report;
}
