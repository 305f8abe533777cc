// The cron trigger's work: seeding the fan-out (cache refresh and token keep-alive, src/jobs/dispatch.ts),
// expiry of unconfirmed grants, the webhook outbox's housekeeping (lost messages, old events), the
// `connection.expiring` notices and, when due, a pass of the token re-seal job. The fetch log keeps
// itself, in each workspace's object.
// Each runs even if another fails; failures are logged.
import { seedDispatch } from "./dispatch";
import { announceExpiring } from "./expiring";
import { expirePendingGrants } from "./pending-grants";
import { startReseal } from "./reseal";
import { sweepWebhooks } from "./webhooks";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime;
  const [dispatch, pending, webhooks, expiring, reseal] = await Promise.allSettled([
    seedDispatch(env, now),
    expirePendingGrants(env, now),
    sweepWebhooks(env, now),
    announceExpiring(env, now),
    startReseal(env, now),
  ]);
  for (const [name, result] of [
    ["dispatch", dispatch],
    ["pending-grants", pending],
    ["webhooks", webhooks],
    ["expiring", expiring],
    ["reseal", reseal],
  ] as const) {
    if (result.status === "fulfilled") console.log("cron", controller.cron, name, JSON.stringify(result.value));
    else console.error("cron", controller.cron, name, "failed", result.reason);
  }
}
