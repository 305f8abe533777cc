// Cron dispatch: page through the cache keys due for a refresh and send them to FETCH_QUEUE.
// Due: keys the host app asked for within the retention window whose data is older than the refresh
// age, plus each healthy connection's default key (the last 24 months) when missing or old.
// Pages of 500 rows, so a tick over N keys costs about N / 500 D1 queries and N / 100 sendBatch calls.
import { cacheDateKey, defaultFromDate } from "../framework/dates";
import { type FetchMessage, SEND_BATCH_LIMIT, sendFetches } from "../framework/fetch-queue";
import { type DispatchSettings, dispatchSettings } from "../framework/settings";
import { findProvider } from "../providers/registry";
import { DUE_PAGE_SIZE, type DueWindow, defaultDueKeys, requestedDueKeys } from "../storage/dispatch";

export interface DispatchReport {
  messages: number;
  d1Queries: number;
  sendBatches: number;
  /** True when the budget stopped the pass early. */
  truncated: boolean;
}

export async function dispatchDueFetches(
  env: Env,
  now: number,
  settings: DispatchSettings = dispatchSettings(env),
): Promise<DispatchReport> {
  const report: DispatchReport = { messages: 0, d1Queries: 0, sendBatches: 0, truncated: false };
  const window: DueWindow = {
    requestedAfter: now - settings.retentionMs,
    staleBefore: now - settings.refreshAfterMs,
    defaultKey: cacheDateKey(defaultFromDate(now)),
  };

  for (const page of [requestedDueKeys, defaultDueKeys]) {
    let cursor = 0;
    for (;;) {
      // Room for this page's query and its sends.
      if (report.d1Queries + report.sendBatches + 1 + DUE_PAGE_SIZE / SEND_BATCH_LIMIT > settings.subrequestBudget) {
        report.truncated = true;
        return report;
      }
      const keys = await page(env.DB, window, cursor);
      report.d1Queries++;
      const messages: FetchMessage[] = keys
        // Providers without an adapter (api_type null) have nothing to fetch.
        .filter((k) => (findProvider(k.integration, env)?.apiType ?? null) !== null)
        .map((k) => ({
          workspaceId: k.workspaceId,
          integration: k.integration,
          cacheDate: k.cacheDate,
          trigger: "cron",
        }));
      report.sendBatches += await sendFetches(env.FETCH_QUEUE, messages);
      report.messages += messages.length;
      if (keys.length < DUE_PAGE_SIZE) break;
      cursor = keys[keys.length - 1]!.cursor;
    }
  }
  return report;
}
