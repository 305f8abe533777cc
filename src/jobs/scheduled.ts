// The cron trigger's work: token keep-alive, cache refresh dispatch, expiry of unconfirmed grants,
// fetch-log housekeeping and the webhook outbox's (lost messages, old events).
// Each runs even if another fails; failures are logged.
import { fetchRunsRetentionMs } from "../framework/settings";
import { db } from "../storage/db";
import { pruneRuns } from "../storage/runs";
import { dispatchDueFetches } from "./dispatch";
import { keepAlivePass } from "./keep-alive";
import { expirePendingGrants } from "./pending-grants";
import { sweepWebhooks } from "./webhooks";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime;
  const [keepAlive, dispatch, pending, prune, webhooks] = await Promise.allSettled([
    keepAlivePass(env, now),
    dispatchDueFetches(env, now),
    expirePendingGrants(env, now),
    pruneRuns(db(env.DB), now, fetchRunsRetentionMs(env)),
    sweepWebhooks(env, now),
  ]);
  for (const [name, result] of [
    ["keep-alive", keepAlive],
    ["dispatch", dispatch],
    ["pending-grants", pending],
    ["prune", prune],
    ["webhooks", webhooks],
  ] as const) {
    if (result.status === "fulfilled") console.log("cron", controller.cron, name, JSON.stringify(result.value));
    else console.error("cron", controller.cron, name, "failed", result.reason);
  }
}
